package io.zogate.proxy.upstream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream on a raw loopback socket, for what WireMock cannot do: cut bodies short, stall
 * mid-event, reset connections, keep a stream open after the response. Every socket has a read
 * timeout, so no test can hang on it.
 */
final class RawUpstream implements AutoCloseable {

  interface Handler {
    void handle(int connectionIndex, Socket socket) throws Exception;
  }

  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  RawUpstream(Handler handler) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              while (!closed) {
                try {
                  Socket socket = server.accept();
                  socket.setSoTimeout(10_000);
                  sockets.add(socket);
                  int index = connections.incrementAndGet();
                  Thread worker =
                      new Thread(
                          () -> {
                            try {
                              handler.handle(index, socket);
                            } catch (Exception peerGoneOrTestOver) {
                              // The forwarder closed its side; that is what several tests want.
                            }
                          },
                          "raw-upstream-" + index);
                  worker.setDaemon(true);
                  worker.start();
                } catch (IOException e) {
                  return;
                }
              }
            },
            "raw-upstream-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/mcp");
  }

  /** Reads one request (head and Content-Length body); returns the head. */
  static String readRequest(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int lastFour = 0;
    while (lastFour != 0x0D0A0D0A) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("request cut short");
      }
      head.write(b);
      lastFour = (lastFour << 8) | b;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : text.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return text;
  }

  static void write(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Blocks until the forwarder closes the connection (or the socket's read timeout). */
  static void awaitPeerClose(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    while (in.read() >= 0) {
      // Discard whatever arrives.
    }
  }

  /** Sends a TCP reset instead of an orderly close. */
  static void reset(Socket socket) throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket socket : sockets) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Already gone.
      }
    }
  }
}
