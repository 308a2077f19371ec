package io.zogate.load;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * HTTP/1.1 load over keep-alive raw sockets, with minimal client overhead so the server side is
 * what shows. Two shapes:
 *
 * <ul>
 *   <li>{@link #closed}: each of {@code C} connections sends a prepared request, reads the whole
 *       answer, and sends the next (a closed loop: throughput);
 *   <li>{@link #fixedRate}: requests are due at a fixed rate whatever the answers do (an open
 *       model: latency at a given load), each taken by whichever connection is free, and each
 *       latency is measured from the instant the request was <em>due</em>, so a slow answer that
 *       holds up the next one is counted, not hidden (no coordinated omission).
 * </ul>
 *
 * <p>Both are bounded in count (the prepared requests, or rate x seconds) and in time (a
 * deadline, and a 10 s socket timeout). Every answer is read in full and counted as good only
 * if it is a 200 whose body is exactly {@code expectedBody}; anything else is counted (and the
 * first one kept) so the caller can refuse the run.
 */
final class KeepAliveLoad {
  private KeepAliveLoad() {}

  /** What one run saw. Latencies are of the good answers only. */
  record Result(int connections, long ok, long bad, long ioErrors, long unsent, boolean exhausted,
      double seconds, long[] latenciesNanos, long[] sendLagNanos, String firstProblem) {
    double rps() {
      return ok / seconds;
    }

    double percentileMillis(double p) {
      return percentile(latenciesNanos, p) / 1e6;
    }

    /**
     * The percentile over every request due, the unsent ones counted as infinitely late (so an
     * overloaded run shows as infinite, not as the latency of the few it managed to send).
     */
    double percentileWithUnsentMillis(double p) {
      long total = latenciesNanos.length + unsent;
      if (total == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(total - 1, Math.round(p * (total - 1)));
      if (i >= latenciesNanos.length) {
        return Double.POSITIVE_INFINITY;
      }
      long[] sorted = latenciesNanos.clone();
      Arrays.sort(sorted);
      return sorted[i] / 1e6;
    }

    /** The same result with its unsent requests not counted against it (for {@link #clean}). */
    Result withoutUnsent() {
      return new Result(connections, ok, bad, ioErrors, 0, exhausted, seconds, latenciesNanos, sendLagNanos,
          firstProblem);
    }

    /** Every answer was a good one and every planned request was sent. */
    boolean clean() {
      return bad == 0 && ioErrors == 0 && unsent == 0 && !exhausted && ok > 0;
    }
  }

  static double percentile(long[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int i = (int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)));
    return sorted[i];
  }

  /**
   * {@code connections} closed loops for {@code seconds}. {@code request.apply(i)} gives the
   * bytes of the i-th request (i below {@code maxRequests}); running out of them before the
   * deadline marks the result {@code exhausted}.
   */
  static Result closed(int port, int connections, double seconds, IntFunction<byte[]> request, int maxRequests,
      byte[] expectedBody) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    Counters c = new Counters();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    List<long[]> perThread = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < connections; k++) {
      long[] lat = new long[4_000_000 / connections + 1];
      perThread.add(lat);
      Thread t = new Thread(() -> {
        int n = 0;
        Connection conn = new Connection(port);
        try {
          while (System.nanoTime() < end) {
            int i = next.getAndIncrement();
            if (i >= maxRequests) {
              c.exhausted.set(true);
              return;
            }
            byte[] req = request.apply(i);
            long t0 = System.nanoTime();
            String problem = conn.exchange(req, expectedBody);
            long t1 = System.nanoTime();
            if (c.record(problem) && n < lat.length - 1) {
              lat[n++] = t1 - t0;
            }
          }
        } finally {
          conn.close();
          lat[lat.length - 1] = n;
        }
      }, "load-closed-" + k);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    return c.result(connections, elapsed, merge(perThread), new long[0]);
  }

  /**
   * {@code round(rate * seconds)} requests due at {@code rate} per second from now, over up to
   * {@code connections} keep-alive connections. A request not sent within {@code seconds + 10}
   * of the start is counted as unsent.
   */
  static Result fixedRate(int port, int connections, double rate, double seconds, IntFunction<byte[]> request,
      byte[] expectedBody) throws InterruptedException {
    int count = (int) Math.round(rate * seconds);
    double intervalNanos = 1e9 / rate;
    AtomicInteger next = new AtomicInteger();
    Counters c = new Counters();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    long hardEnd = start + (long) ((seconds + 10) * 1e9);
    long[] latency = new long[count];
    long[] lag = new long[count];
    boolean[] done = new boolean[count];
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < connections; k++) {
      Thread t = new Thread(() -> {
        Connection conn = new Connection(port);
        try {
          while (true) {
            int i = next.getAndIncrement();
            if (i >= count) {
              return;
            }
            long due = start + (long) (i * intervalNanos);
            long now;
            while ((now = System.nanoTime()) < due) {
              LockSupport.parkNanos(due - now);
            }
            if (now > hardEnd) {
              c.unsent.incrementAndGet();
              continue;
            }
            byte[] req = request.apply(i);
            long sent = System.nanoTime();
            String problem = conn.exchange(req, expectedBody);
            long t1 = System.nanoTime();
            if (c.record(problem)) {
              latency[i] = t1 - due;
              lag[i] = sent - due;
              done[i] = true;
            }
          }
        } finally {
          conn.close();
        }
      }, "load-rate-" + k);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    int n = 0;
    for (boolean d : done) {
      n += d ? 1 : 0;
    }
    long[] lat = new long[n];
    long[] lags = new long[n];
    for (int i = 0, j = 0; i < count; i++) {
      if (done[i]) {
        lat[j] = latency[i];
        lags[j++] = lag[i];
      }
    }
    return c.result(connections, elapsed, lat, lags);
  }

  /** Sends one request on a new connection and returns the status line's code and the body. */
  static Exchange once(int port, byte[] request) throws IOException {
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      return readResponse(new BufferedInputStream(s.getInputStream(), 16_384));
    }
  }

  record Exchange(int status, byte[] body) {}

  private static long[] merge(List<long[]> perThread) {
    long total = 0;
    for (long[] lat : perThread) {
      total += lat[lat.length - 1];
    }
    long[] all = new long[(int) total];
    int k = 0;
    for (long[] lat : perThread) {
      int n = (int) lat[lat.length - 1];
      System.arraycopy(lat, 0, all, k, n);
      k += n;
    }
    return all;
  }

  private static final class Counters {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong bad = new AtomicLong();
    final AtomicLong io = new AtomicLong();
    final AtomicLong unsent = new AtomicLong();
    final AtomicBoolean exhausted = new AtomicBoolean();
    final AtomicReference<String> first = new AtomicReference<>();

    /** Counts one answer; true if it was good. */
    boolean record(String problem) {
      if (problem == null) {
        ok.incrementAndGet();
        return true;
      }
      if (problem.startsWith("io: ")) {
        io.incrementAndGet();
      } else {
        bad.incrementAndGet();
      }
      first.compareAndSet(null, problem);
      return false;
    }

    Result result(int connections, double seconds, long[] lat, long[] lag) {
      return new Result(connections, ok.get(), bad.get(), io.get(), unsent.get(), exhausted.get(), seconds, lat, lag,
          first.get());
    }
  }

  /** One keep-alive connection, reopened after an I/O error. */
  private static final class Connection {
    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    Connection(int port) {
      this.port = port;
    }

    /** Null for a 200 with exactly the expected body, otherwise what was wrong. */
    String exchange(byte[] request, byte[] expectedBody) {
      try {
        if (socket == null) {
          socket = new Socket();
          socket.setTcpNoDelay(true);
          socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
          socket.setSoTimeout(10_000);
          in = new BufferedInputStream(socket.getInputStream(), 16_384);
          out = socket.getOutputStream();
        }
        out.write(request);
        out.flush();
        Exchange e = readResponse(in);
        if (e.status() != 200) {
          return "status " + e.status() + ": " + new String(e.body(), StandardCharsets.UTF_8);
        }
        if (expectedBody != null && !Arrays.equals(e.body(), expectedBody)) {
          return "unexpected body: " + new String(e.body(), StandardCharsets.UTF_8);
        }
        return null;
      } catch (IOException | RuntimeException e) {
        close();
        return "io: " + e;
      }
    }

    void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a load connection
        }
        socket = null;
      }
    }
  }

  /** Reads one response in full. Handles Content-Length and chunked bodies. */
  static Exchange readResponse(InputStream in) throws IOException {
    String status = line(in);
    if (status == null) {
      throw new IOException("closed");
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    String h;
    while ((h = line(in)) != null && !h.isEmpty()) {
      int c = h.indexOf(':');
      String name = h.substring(0, c).trim();
      String value = h.substring(c + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        length = Long.parseLong(value);
      } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
        if (size == 0) {
          line(in);
          break;
        }
        body.write(in.readNBytes(size));
        line(in);
      }
      return new Exchange(code, body.toByteArray());
    }
    if (length > 0) {
      byte[] body = in.readNBytes((int) length);
      if (body.length < length) {
        throw new IOException("closed inside the body");
      }
      return new Exchange(code, body);
    }
    return new Exchange(code, new byte[0]);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      sb.append((char) b);
    }
    return sb.length() == 0 ? null : sb.toString();
  }
}
