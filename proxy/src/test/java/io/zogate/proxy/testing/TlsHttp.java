package io.zogate.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@link RawHttp} over TLS: one request per connection on an {@link SSLSocket} that trusts
 * only the test server CA, checks the server's name (127.0.0.1), and presents the given
 * client certificate whatever CAs the server asks for (a stock key manager would silently
 * send none to a server that names other CAs, which would hide what the server does).
 */
public final class TlsHttp {
  private TlsHttp() {}

  /** A client context trusting {@code serverCa}, presenting {@code client} when not null. */
  public static SSLContext context(X509Certificate serverCa, TestPki.Issued client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("server-ca", serverCa);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(client == null ? null : new X509ExtendedKeyManager[] {new FixedKey(client)}, tmf.getTrustManagers(),
          new SecureRandom());
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An open, handshaken TLS socket to 127.0.0.1:port with only these protocols enabled. */
  public static SSLSocket connect(int port, SSLContext ctx, String... protocols) throws IOException {
    Socket plain = new Socket();
    plain.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    plain.setSoTimeout(15_000);
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    if (protocols.length > 0) {
      p.setProtocols(protocols);
    }
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  /** POST/GET/... with Host, Content-Length and Connection: close, over TLS. */
  public static RawHttp.Response request(int port, SSLContext ctx, String[] protocols, String method, String target,
      Map<String, String> headers, byte[] body) throws IOException {
    try (SSLSocket s = connect(port, ctx, protocols)) {
      List<String> lines = new ArrayList<>();
      lines.add(method + " " + target + " HTTP/1.1");
      lines.add("Host: 127.0.0.1:" + port);
      headers.forEach((k, v) -> lines.add(k + ": " + v));
      lines.add("Content-Length: " + body.length);
      lines.add("Connection: close");
      StringBuilder head = new StringBuilder();
      for (String line : lines) {
        head.append(line).append("\r\n");
      }
      head.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      return RawHttp.read(s.getInputStream());
    }
  }

  /**
   * Sends bytes on a plain socket and returns what comes back within the timeout (possibly
   * nothing); a reset connection counts as what was read before it.
   */
  public static byte[] exchangeRaw(int port, byte[] send, int timeoutMillis) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(timeoutMillis);
      s.getOutputStream().write(send);
      s.getOutputStream().flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      try {
        int n;
        while ((n = in.read(buf)) != -1) {
          got.write(buf, 0, n);
          if (got.size() > 64 * 1024) {
            break;
          }
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // silence or a reset: what was read so far is the answer
      }
      return got.toByteArray();
    }
  }

  /**
   * A hand-written ClientHello offering exactly one protocol version ({@code 0x0302} TLS 1.1,
   * {@code 0x0303} TLS 1.2) with ECDHE suites, so the test sees what the server does with a
   * version no JDK client would send any more.
   */
  public static byte[] clientHello(int version) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(version >> 8);
    body.write(version & 0xff);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    body.writeBytes(random);
    body.write(0); // no session id
    int[] suites = {0xC02B, 0xC02F, 0xC009, 0xC013, 0x002F};
    u16(body, suites.length * 2);
    for (int cs : suites) {
      u16(body, cs);
    }
    body.write(1);
    body.write(0); // null compression
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    u16(ext, 0x000a); // supported_groups: secp256r1
    u16(ext, 4);
    u16(ext, 2);
    u16(ext, 0x0017);
    u16(ext, 0x000b); // ec_point_formats: uncompressed
    u16(ext, 2);
    ext.write(1);
    ext.write(0);
    int[] sigs = {0x0403, 0x0804, 0x0401, 0x0203, 0x0201};
    u16(ext, 0x000d); // signature_algorithms
    u16(ext, 2 + sigs.length * 2);
    u16(ext, sigs.length * 2);
    for (int sa : sigs) {
      u16(ext, sa);
    }
    u16(body, ext.size());
    body.writeBytes(ext.toByteArray());
    byte[] hello = body.toByteArray();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.write(0x16);
    record.write(0x03);
    record.write(0x01);
    u16(record, hello.length + 4);
    record.write(0x01); // client_hello
    record.write(0);
    u16(record, hello.length);
    record.writeBytes(hello);
    return record.toByteArray();
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write((v >> 8) & 0xff);
    out.write(v & 0xff);
  }

  /** Always offers the one client certificate, whatever the server asks for. */
  private static final class FixedKey extends X509ExtendedKeyManager {
    private final TestPki.Issued client;

    FixedKey(TestPki.Issued client) {
      this.client = client;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"client"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "client";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "client";
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return client.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return client.privateKey();
    }
  }
}
