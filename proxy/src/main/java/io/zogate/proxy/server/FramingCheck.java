package io.zogate.proxy.server;

import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.RefusalException;
import java.util.List;
import java.util.Locale;

/**
 * Refuses request framings that two HTTP parsers could read differently, or whose body is not
 * the plain UTF-8 JSON that gets signed and forwarded: any {@code Content-Encoding}, a charset
 * other than UTF-8, {@code Content-Length} together with {@code Transfer-Encoding}, a repeated
 * {@code Content-Length}, a transfer coding other than {@code chunked}, announced trailers, and
 * a POST that is not {@code application/json}. Checked before the body is read.
 */
final class FramingCheck implements Stage.Check {

  @Override
  public void check(ProxyCall call) throws RefusalException {
    IncomingRequest req = call.request();
    if (!req.header("Content-Encoding").isEmpty()) {
      throw new RefusalException(Reason.BAD_ENCODING, "content-encoding present");
    }
    List<String> contentLength = req.header("Content-Length");
    List<String> transferEncoding = req.header("Transfer-Encoding");
    if (!contentLength.isEmpty() && !transferEncoding.isEmpty()) {
      throw new RefusalException(Reason.BAD_ENCODING, "content-length with transfer-encoding");
    }
    if (contentLength.size() > 1 || (contentLength.size() == 1 && !isDigits(contentLength.get(0)))) {
      throw new RefusalException(Reason.BAD_ENCODING, "repeated or malformed content-length");
    }
    if (transferEncoding.size() > 1
        || (transferEncoding.size() == 1 && !transferEncoding.get(0).equalsIgnoreCase("chunked"))) {
      throw new RefusalException(Reason.BAD_ENCODING, "transfer-encoding other than chunked");
    }
    if (!req.header("Trailer").isEmpty()) {
      throw new RefusalException(Reason.BAD_ENCODING, "trailers announced");
    }
    List<String> contentType = req.header("Content-Type");
    if (contentType.size() > 1) {
      throw new RefusalException(Reason.BAD_ENCODING, "repeated content-type");
    }
    if (req.method().equals("POST")) {
      if (contentType.isEmpty() || !isJsonUtf8(contentType.get(0))) {
        throw new RefusalException(Reason.BAD_ENCODING, "content-type " + contentType);
      }
    } else if (contentType.size() == 1 && !isJsonUtf8(contentType.get(0))) {
      throw new RefusalException(Reason.BAD_ENCODING, "content-type " + contentType);
    }
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** {@code application/json}, optionally with {@code charset=utf-8} and nothing else. */
  static boolean isJsonUtf8(String value) {
    String[] parts = value.split(";", -1);
    if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT);
      if (!(p.equals("charset=utf-8") || p.equals("charset=\"utf-8\""))) {
        return false;
      }
    }
    return true;
  }
}
