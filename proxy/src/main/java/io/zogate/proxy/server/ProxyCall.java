package io.zogate.proxy.server;

import io.zogate.proxy.auth.ActorHeaders;
import io.zogate.proxy.auth.ActorKey;
import io.zogate.proxy.auth.VerifiedActor;
import io.zogate.proxy.governance.Action;
import io.zogate.proxy.governance.Decision;
import io.zogate.proxy.governance.LedgerEntry;
import io.zogate.proxy.jsonrpc.JsonRpcId;
import io.zogate.proxy.jsonrpc.JsonRpcMessage;
import io.zogate.proxy.upstream.ClientResponder;
import java.util.Objects;

/**
 * What the pipeline has learned about one request so far. Each stage fills in its part
 * (headers, key, body, verified actor, message) for the stages after it; nothing is filled in
 * before the stage that checked it has passed.
 */
public final class ProxyCall {
  private final IncomingRequest request;
  private final String traceId;
  private final ClientResponder responder;

  private ActorHeaders actorHeaders;
  private String authority;
  private ActorKey key;
  private byte[] body;
  private String bodySha256Hex;
  private VerifiedActor actor;
  private JsonRpcMessage message;
  private String requestId;
  private String sessionId;
  private Action action;
  private Decision decision;
  private LedgerEntry intent;

  public ProxyCall(IncomingRequest request, String traceId, ClientResponder responder) {
    this.request = Objects.requireNonNull(request);
    this.traceId = Objects.requireNonNull(traceId);
    this.responder = Objects.requireNonNull(responder);
  }

  public IncomingRequest request() {
    return request;
  }

  public String traceId() {
    return traceId;
  }

  public ClientResponder responder() {
    return responder;
  }

  public ActorHeaders actorHeaders() {
    return actorHeaders;
  }

  void actorHeaders(ActorHeaders h, String canonicalAuthority) {
    this.actorHeaders = h;
    this.authority = canonicalAuthority;
  }

  public String authority() {
    return authority;
  }

  public ActorKey key() {
    return key;
  }

  void key(ActorKey key) {
    this.key = key;
  }

  public byte[] body() {
    return body;
  }

  public String bodySha256Hex() {
    return bodySha256Hex;
  }

  void body(byte[] body, String sha256Hex) {
    this.body = body;
    this.bodySha256Hex = sha256Hex;
  }

  public VerifiedActor actor() {
    return actor;
  }

  void actor(VerifiedActor actor) {
    this.actor = actor;
  }

  /** The parsed message; null for GET and DELETE, which carry no body. */
  public JsonRpcMessage message() {
    return message;
  }

  public String requestId() {
    return requestId;
  }

  void message(JsonRpcMessage message, String requestId) {
    this.message = message;
    this.requestId = requestId;
  }

  /**
   * The id every error for this call carries: a request's own id from the parsed body, else
   * null. A client's response carries the id of the server's request it answers; echoing that
   * in an error would read as the answer to one of the client's own requests.
   */
  public JsonRpcId errorId() {
    return expectsResponse() ? message.id() : null;
  }

  /** Whether the client expects a JSON-RPC response (a request with an id). */
  public boolean expectsResponse() {
    return message != null && message.kind() == JsonRpcMessage.Kind.REQUEST;
  }

  public String sessionId() {
    return sessionId;
  }

  void sessionId(String sessionId) {
    this.sessionId = sessionId;
  }

  /** The action governance was asked about; null before the govern stage. */
  public Action action() {
    return action;
  }

  /** What governance decided; null before the govern stage. */
  public Decision decision() {
    return decision;
  }

  void governed(Action action, Decision decision) {
    this.action = action;
    this.decision = decision;
  }

  /** The intent recorded in the ledger for this call; null until record-intent committed it. */
  public LedgerEntry intent() {
    return intent;
  }

  void intent(LedgerEntry intent) {
    this.intent = intent;
  }
}
