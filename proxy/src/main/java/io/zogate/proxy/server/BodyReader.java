package io.zogate.proxy.server;

import io.zogate.proxy.auth.ActorSigner;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the body, refusing as soon as it passes the cap (a declared length over the cap is
 * refused without reading), and hashes it for the signature. The bytes read here are the
 * bytes verified, parsed and forwarded. GET and DELETE carry no body.
 */
final class BodyReader implements Stage.Check {
  private static final byte[] EMPTY = new byte[0];
  private static final String EMPTY_SHA256 = ActorSigner.sha256Hex(EMPTY);
  private final long maxBodyBytes;

  BodyReader(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException, IOException {
    IncomingRequest req = call.request();
    List<String> declared = req.header("Content-Length");
    long declaredLength = declared.size() == 1 ? Long.parseLong(declared.get(0)) : -1;
    if (declaredLength > maxBodyBytes) {
      throw new RefusalException(Reason.BODY_TOO_LARGE, "declared " + declared.get(0));
    }
    byte[] body = readCapped(req.body(), declaredLength);
    if (!req.method().equals("POST") && body.length > 0) {
      throw new RefusalException(Reason.BAD_ENCODING, req.method() + " with a body");
    }
    call.body(body, body.length == 0 ? EMPTY_SHA256 : ActorSigner.sha256Hex(body));
  }

  /**
   * Reads to the end, never past the cap. A declared length (already checked against the cap,
   * and enforced by the server's stream) is read exactly; a chunked body grows to the cap.
   */
  private byte[] readCapped(InputStream in, long declaredLength) throws IOException, RefusalException {
    if (declaredLength == 0) {
      return EMPTY;
    }
    if (declaredLength > 0) {
      byte[] exact = in.readNBytes((int) declaredLength);
      if (exact.length != declaredLength) {
        throw new IOException("the client closed before sending its declared body");
      }
      return exact;
    }
    byte[] buf = new byte[8192];
    int n = 0;
    while (true) {
      if (n == buf.length) {
        if (buf.length > maxBodyBytes) {
          throw new RefusalException(Reason.BODY_TOO_LARGE, "body over " + maxBodyBytes);
        }
        buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, maxBodyBytes + 1));
      }
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        break;
      }
      n += r;
      if (n > maxBodyBytes) {
        throw new RefusalException(Reason.BODY_TOO_LARGE, "body over " + maxBodyBytes);
      }
    }
    return n == 0 ? EMPTY : Arrays.copyOf(buf, n);
  }

}
