package io.zogate.proxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.zogate.proxy.testing.ProxyFixture.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.zogate.proxy.config.ConfigException;
import io.zogate.proxy.governance.DenyListGovernor;
import io.zogate.proxy.governance.Governor;
import io.zogate.proxy.governance.SqliteLedger;
import io.zogate.proxy.testing.ProxyFixture;
import io.zogate.proxy.testing.RawHttp;
import io.zogate.proxy.testing.TestSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger through the real proxy: what each kind of call leaves in the file, and failing closed. */
class LedgerProxyTest {
  static WireMockServer upstream;
  static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
  static final String LEDGER = "ledger: sqlite:ledger.db\n";

  @TempDir Path dir;
  ProxyFixture proxy;

  @BeforeAll
  static void startUpstream() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").globalTemplating(true));
    upstream.start();
  }

  @AfterAll
  static void stopUpstream() {
    upstream.stop();
  }

  @BeforeEach
  void resetUpstream() {
    upstream.resetAll();
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"jsonrpc\":\"2.0\",\"id\":{{jsonPath request.body '$.id'}},\"result\":{\"ok\":true}}")));
  }

  @AfterEach
  void stopProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  ProxyFixture start(String yaml, Optional<Governor> governor, Map<String, String> env) throws Exception {
    proxy = new ProxyFixture(dir, upstream.baseUrl() + "/mcp", yaml, governor, env);
    return proxy;
  }

  int upstreamCalls() {
    return upstream.findAll(postRequestedFor(urlEqualTo("/mcp"))).size();
  }

  /** Each entry as "kind|request_id|actor|operation|tool|decision|rule|ref_seq|result|status|reason". */
  List<String> entries() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT kind, request_id, actor, operation, tool, decision, rule, ref_seq,"
            + " result, status, reason FROM ledger ORDER BY seq")) {
      while (rs.next()) {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
          cols.add(String.valueOf(rs.getString(i)));
        }
        rows.add(String.join("|", cols));
      }
    }
    return rows;
  }

  /**
   * The entries once there are {@code n}: the client has its answer before the outcome entry is
   * written (the answer may be a stream), so a test waits for it.
   */
  List<String> entries(int n) throws Exception {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> entries().size() >= n);
    List<String> rows = entries();
    assertThat(rows).hasSize(n);
    return rows;
  }

  void assertIntact() throws Exception {
    assertThat(SqliteLedger.verify(dir.resolve("ledger.db"), null).intact()).isTrue();
  }

  void sql(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
        Statement s = c.createStatement()) {
      for (String q : statements) {
        s.execute(q);
      }
    }
  }

  @Test
  void anAllowedCallWritesItsIntentThenItsOutcome() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    RawHttp.Response r = proxy.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
        + "\"params\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"/workspace/a\"}}}");
    assertThat(r.status()).isEqualTo(200);
    List<String> rows = entries(2);
    String requestId = rows.get(0).split("\\|")[1];
    assertThat(requestId).matches("req_[0-9a-f]{32}");
    assertThat(rows.get(0)).isEqualTo("intent|" + requestId + "|" + ALICE + "|tools/call|read_file|ALLOW|default allow|null|null|null|null");
    assertThat(rows.get(1)).isEqualTo("outcome|" + requestId + "|" + ALICE + "|null|null|null|null|1|relayed|200|null");
    assertIntact();
  }

  @Test
  void aDeniedCallWritesItsIntentWithDenyAndNothingIsForwarded() throws Exception {
    start(LEDGER, Optional.of(new DenyListGovernor(Set.of(), Set.of("get-env"))), Map.of());
    RawHttp.Response r = proxy.post(
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"get-env\"}}");
    assertThat(r.outcome()).isEqualTo("200 -32011 deny");
    assertThat(upstreamCalls()).isZero();
    List<String> rows = entries(2);
    assertThat(rows.get(0)).startsWith("intent|").contains("|tools/call|get-env|DENY|");
    assertThat(rows.get(1)).startsWith("outcome|").endsWith("|1|refused|null|deny");
    assertIntact();
  }

  @Test
  void refusalsAfterAuthenticationAreRecordedAndThoseBeforeAreNot() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    assertThat(proxy.post("{\"jsonrpc\":\"2.0\",").outcome()).isEqualTo("400 -32700 invalid_json");
    byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.putAll(proxy.hmac.headers(ALICE, "POST", proxy.authority(), "/mcp", body));
    assertThat(RawHttp.request(proxy.port, "POST", "/mcp", h, body).status()).isEqualTo(200);
    // The outcome is written after the answer is sent: wait for it, so the entries' order is fixed.
    entries(3);
    assertThat(RawHttp.request(proxy.port, "POST", "/mcp", h, body).outcome()).isEqualTo("409 -32032 nonce_reused");
    assertThat(proxy.post(proxy.hmac, ALICE, TOOLS_LIST, Map.of("Mcp-Session-Id", "sess-nobody")).status())
        .isEqualTo(404);
    // Not authenticated: nothing to tie an entry to, so nothing is written.
    assertThat(proxy.post(TestSigner.hmac("k-nobody", new byte[32]), ALICE, TOOLS_LIST, Map.of()).status())
        .isEqualTo(401);
    Map<String, String> badSig = new LinkedHashMap<>(h);
    badSig.put("x-actor-nonce", TestSigner.freshNonce());
    assertThat(RawHttp.request(proxy.port, "POST", "/mcp", badSig, body).outcome())
        .isEqualTo("401 -32030 signature_invalid");
    List<String> rows = entries(5);
    assertThat(rows.get(0)).isEqualTo("refusal|null|" + ALICE + "|null|null|null|null|null|null|null|invalid_json");
    assertThat(rows.get(1)).startsWith("intent|");
    assertThat(rows.get(2)).startsWith("outcome|").contains("|relayed|200|");
    assertThat(rows.get(3)).isEqualTo("refusal|null|" + ALICE + "|null|null|null|null|null|null|null|nonce_reused");
    assertThat(rows.get(4)).startsWith("refusal|req_").contains("|tools/list|").endsWith("|unknown_session");
    assertIntact();
  }

  @Test
  void anUpstreamTimeoutIsRecordedAsOutcomeUnknown() throws Exception {
    start(LEDGER, Optional.empty(), Map.of("ZO_GATE_UPSTREAM_TIMEOUT", "300ms"));
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(200).withFixedDelay(2000)
        .withHeader("Content-Type", "application/json").withBody("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}")));
    assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("200 -32020 upstream_timeout");
    assertThat(entries(2).get(1)).endsWith("|1|outcome_unknown|null|upstream_timeout");
    upstream.stubFor(post("/mcp").willReturn(aResponse().withStatus(503).withBody("down")));
    assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("200 -32021 upstream_status");
    assertThat(entries(4).get(3)).endsWith("|3|refused|503|upstream_status");
    assertIntact();
  }

  @Test
  void aLedgerThatCannotWriteRefusesWith32050AndForwardsNothing() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    assertThat(upstreamCalls()).isEqualTo(1);
    entries(2);
    // As a full disk would: every insert fails.
    sql("CREATE TRIGGER disk_full BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    RawHttp.Response r = proxy.post(TOOLS_LIST);
    assertThat(r.outcome()).isEqualTo("503 -32050 ledger");
    assertThat(r.json().get("id").asInt()).isEqualTo(1);
    assertThat(r.bodyText()).doesNotContain("disk");
    assertThat(upstreamCalls()).isEqualTo(1);
    // It recovers once the file can be written again, and the chain has no hole.
    sql("DROP TRIGGER disk_full");
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    assertThat(upstreamCalls()).isEqualTo(2);
    entries(4);
    assertIntact();
  }

  @Test
  void aLedgerLockedByAnotherWriterPastTheBusyTimeoutRefusesWith32050() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("ledger.db"));
        Statement s = c.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("503 -32050 ledger");
      s.execute("ROLLBACK");
    }
    assertThat(upstreamCalls()).isZero();
  }

  @Test
  void aLedgerFileReplacedByGarbageRefusesWith32050() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    entries(2);
    sql("DROP TRIGGER ledger_no_delete", "DROP TRIGGER ledger_no_update", "DROP TABLE ledger",
        "CREATE TABLE ledger (garbage TEXT)");
    assertThat(proxy.post(TOOLS_LIST).outcome()).isEqualTo("503 -32050 ledger");
    assertThat(upstreamCalls()).isEqualTo(1);
  }

  @Test
  void aLedgerThatCannotBeOpenedStopsStartUp() {
    assertThatThrownBy(() -> start("ledger: sqlite:no/such/dir/ledger.db\n", Optional.empty(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ledger");
    assertThatThrownBy(() -> start("ledger: memory\n", Optional.empty(), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ledger");
  }

  @Test
  void aDeleteWithoutABodyIsGovernedAndRecordedUnderItsOwnRequestId() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    Map<String, String> h = new LinkedHashMap<>(proxy.hmac.headers(ALICE, "DELETE", proxy.authority(), "/mcp", new byte[0]));
    RawHttp.Response r = RawHttp.request(proxy.port, "DELETE", "/mcp", h, new byte[0]);
    assertThat(r.status()).isNotEqualTo(503);
    List<String> rows = entries(2);
    assertThat(rows.get(0)).matches("intent\\|req_[0-9a-f]{32}\\|" + ALICE + "\\|session/delete\\|null\\|ALLOW\\|.*");
    assertThat(rows.get(1)).startsWith("outcome|" + rows.get(0).split("\\|")[1] + "|");
    assertIntact();
  }

  @Test
  void twoInstancesWithoutASharedReplayStoreStillRefuseTheSecondIntentOfARequest() throws Exception {
    // A misconfiguration the contract warns about: each instance has its own memory replay
    // store, so each accepts the nonce once. They share the ledger, which holds the request id.
    Path a = java.nio.file.Files.createDirectory(dir.resolve("a"));
    Path b = java.nio.file.Files.createDirectory(dir.resolve("b"));
    String shared = "ledger: sqlite:" + dir.resolve("ledger.db") + "\n";
    try (ProxyFixture first = new ProxyFixture(a, upstream.baseUrl() + "/mcp", shared, Optional.empty(), Map.of());
        ProxyFixture second = new ProxyFixture(b, upstream.baseUrl() + "/mcp", shared, Optional.empty(), Map.of())) {
      long ts = System.currentTimeMillis();
      String nonce = TestSigner.freshNonce();
      byte[] body = TOOLS_LIST.getBytes(StandardCharsets.UTF_8);
      Map<String, String> h1 = new LinkedHashMap<>(Map.of("Content-Type", "application/json"));
      h1.putAll(first.hmac.headers(ALICE, ts, nonce, "POST", first.authority(), "/mcp", body));
      assertThat(RawHttp.request(first.port, "POST", "/mcp", h1, body).status()).isEqualTo(200);
      Map<String, String> h2 = new LinkedHashMap<>(Map.of("Content-Type", "application/json"));
      h2.putAll(second.hmac.headers(ALICE, ts, nonce, "POST", second.authority(), "/mcp", body));
      assertThat(RawHttp.request(second.port, "POST", "/mcp", h2, body).outcome())
          .isEqualTo("409 -32032 request_id_reused");
      assertThat(upstreamCalls()).isEqualTo(1);
      List<String> rows = entries(3);
      // The first call's outcome and the second call's refusal may land in either order.
      assertThat(rows).filteredOn(row -> row.startsWith("refusal|")).singleElement().asString()
          .startsWith("refusal|" + rows.get(0).split("\\|")[1] + "|").endsWith("|request_id_reused");
    }
    assertIntact();
  }

  @Test
  void theLedgerSurvivesARestartAndKeepsOneChain() throws Exception {
    start(LEDGER, Optional.empty(), Map.of());
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    proxy.stop();
    assertThat(entries()).hasSize(2);
    proxy.start();
    assertThat(proxy.post(TOOLS_LIST).status()).isEqualTo(200);
    entries(4);
    assertIntact();
  }
}
