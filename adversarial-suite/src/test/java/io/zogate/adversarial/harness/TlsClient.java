package io.zogate.adversarial.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@link RawHttp} over TLS (adapted from the proxy's {@code TlsHttp}): one request per
 * connection on an {@link SSLSocket} that trusts only the suite's server CA, checks the
 * server's name, and presents the given client certificate whatever CAs the server names (a
 * stock key manager would silently send none, hiding what the server does). Anything that goes
 * wrong before an HTTP status line arrives is a {@link HandshakeFailed}: with TLS 1.3 a client
 * certificate is refused after the client thinks the handshake is done, so the refusal shows
 * as an alert or a closed connection on the first read.
 */
public final class TlsClient {
  private TlsClient() {}

  /** No HTTP answer came over TLS: the handshake (or the certificate check after it) failed. */
  public static final class HandshakeFailed extends IOException {
    public HandshakeFailed(Throwable cause) {
      super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
  }

  public static SSLContext context(X509Certificate serverCa, Pki.Issued client) {
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

  /** Sends the head lines and body over TLS and reads one answer. */
  public static RawHttp.Response send(int port, SSLContext ctx, List<String> protocols, List<String> headLines,
      byte[] body) throws IOException {
    Socket plain = new Socket();
    plain.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    plain.setSoTimeout(15_000);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", port, true)) {
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      if (!protocols.isEmpty()) {
        p.setProtocols(protocols.toArray(new String[0]));
      }
      s.setSSLParameters(p);
      StringBuilder head = new StringBuilder();
      for (String line : headLines) {
        head.append(line).append("\r\n");
      }
      head.append("\r\n");
      try {
        s.startHandshake();
        s.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().write(body);
        s.getOutputStream().flush();
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        throw new HandshakeFailed(e);
      }
      InputStream in = s.getInputStream();
      try {
        return RawHttp.read(in);
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        // An alert or a closed connection before any status line.
        throw new HandshakeFailed(e);
      }
    }
  }

  /** Sends bytes on a plain socket; returns what came back within the timeout (maybe nothing). */
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
   * {@code 0x0303} TLS 1.2) with ECDHE suites: a version no JDK client would send any more.
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
    private final Pki.Issued client;

    FixedKey(Pki.Issued client) {
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
