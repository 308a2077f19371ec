package io.zogate.load;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A closed-loop HTTP/1.1 load generator over keep-alive raw sockets: each connection sends a
 * prepared request, reads the whole answer, and sends the next. Bounded by a deadline and by
 * the number of prepared requests. Minimal client overhead so the server side is what shows.
 */
final class KeepAliveLoad {
  private KeepAliveLoad() {}

  /** Throughput and latency of one run. */
  record Result(String name, int connections, long requests, long errors, double seconds, long[] latenciesNanos) {
    double rps() {
      return requests / seconds;
    }

    double percentileMillis(double p) {
      if (latenciesNanos.length == 0) {
        return Double.NaN;
      }
      long[] sorted = latenciesNanos.clone();
      Arrays.sort(sorted);
      int i = (int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)));
      return sorted[i] / 1e6;
    }
  }

  /**
   * Runs {@code connections} loops for {@code seconds} (after {@code warmupSeconds} not
   * counted). {@code request.apply(i)} gives the bytes of the i-th request (unique per call).
   */
  static Result run(String name, int port, int connections, double warmupSeconds, double seconds,
      IntFunction<byte[]> request, int maxRequests) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicLong count = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    List<long[]> perThread = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      long[] lat = new long[2_000_000 / connections + 1];
      perThread.add(lat);
      int[] n = new int[1];
      Thread t = new Thread(() -> {
        Socket s = null;
        InputStream in = null;
        try {
          while (System.nanoTime() < end) {
            int i = next.getAndIncrement();
            if (i >= maxRequests) {
              return;
            }
            if (s == null) {
              s = new Socket();
              s.setTcpNoDelay(true);
              s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
              s.setSoTimeout(10_000);
              in = new BufferedInputStream(s.getInputStream(), 16_384);
            }
            byte[] req = request.apply(i);
            long t0 = System.nanoTime();
            boolean ok;
            try {
              OutputStream out = s.getOutputStream();
              out.write(req);
              out.flush();
              ok = readResponse(in);
            } catch (IOException e) {
              ok = false;
              s.close();
              s = null;
            }
            long t1 = System.nanoTime();
            if (t0 >= measureFrom && t1 <= end) {
              if (ok) {
                count.incrementAndGet();
                if (n[0] < lat.length) {
                  lat[n[0]++] = t1 - t0;
                }
              } else {
                errors.incrementAndGet();
              }
            }
          }
        } catch (IOException e) {
          errors.incrementAndGet();
        } finally {
          if (s != null) {
            try {
              s.close();
            } catch (IOException ignored) {
              // closing a load connection
            }
          }
          lat[lat.length - 1] = n[0];
        }
      }, "load-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long measuredNanos = Math.min(System.nanoTime(), end) - measureFrom;
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
    return new Result(name, connections, count.get(), errors.get(), measuredNanos / 1e9, all);
  }

  /** Reads one response; true for a 2xx. Handles Content-Length and chunked bodies. */
  static boolean readResponse(InputStream in) throws IOException {
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
      while (true) {
        int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
        if (size == 0) {
          line(in);
          break;
        }
        in.skipNBytes(size);
        line(in);
      }
    } else if (length > 0) {
      in.skipNBytes(length);
    }
    return code / 100 == 2;
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
