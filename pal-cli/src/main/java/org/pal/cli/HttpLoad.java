package org.pal.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A closed-loop HTTP/1.1 load generator in the manner of wrk: one thread drives N keep-alive
 * connections through a selector; each connection sends its next request (whole, pre-encoded bytes)
 * as soon as the previous response has been read in full. A request's latency runs from the moment
 * its first byte is written to the moment the last byte of its response is read, so time the
 * response spends waiting for this thread counts against the server, never for it. Only responses
 * completed inside the measured time count; a response is correct when its status is 200 and the
 * caller's check accepts its body. The generator is lean on purpose: it shares the machine with the
 * server it measures (the JDK's HttpClient spent more CPU per request than the server did).
 */
final class HttpLoad {
  private HttpLoad() {}

  /** The bytes of the next request of connection {@code c} (its {@code seq}-th). */
  interface Requests {
    byte[] next(int c, long seq);
  }

  /** Whether a 200 response body is what was asked for. */
  interface BodyCheck {
    boolean ok(byte[] buf, int from, int length);
  }

  record Result(long ok, long errors, double seconds, long[] latencyNanos) {}

  /** A full request: method line, host, content type and length, then the body. */
  static byte[] post(String path, byte[] body) {
    byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] all = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  private static final class Conn {
    final int id;
    SocketChannel ch;
    SelectionKey key;
    ByteBuffer out;
    byte[] in = new byte[16 << 10];
    int filled, headerEnd, contentLength, status;
    long seq, start;

    Conn(int id) {
      this.id = id;
    }
  }

  static Result run(InetSocketAddress at, int connections, Requests requests, BodyCheck check, long nanos) throws IOException {
    long[] lat = new long[1 << 14];
    int n = 0;
    long ok = 0, errors = 0;
    try (Selector sel = Selector.open()) {
      Conn[] cs = new Conn[connections];
      for (int i = 0; i < connections; i++) {
        cs[i] = new Conn(i);
        open(cs[i], at, sel);
      }
      long t0 = System.nanoTime(), end = t0 + nanos;
      for (Conn c : cs) send(c, requests);
      while (true) {
        long now = System.nanoTime();
        if (now >= end) break;
        sel.select(Math.max(1, (end - now) / 1_000_000));
        var it = sel.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          Conn c = (Conn) k.attachment();
          try {
            if (k.isWritable()) {
              c.ch.write(c.out);
              if (!c.out.hasRemaining()) k.interestOps(SelectionKey.OP_READ);
              continue;
            }
            if (!k.isReadable()) continue;
            int r = read(c);
            if (r < 0) throw new IOException("the server closed the connection");
            if (!complete(c)) continue;
            long done = System.nanoTime();
            if (done > end) break;
            boolean good = c.status == 200 && check.ok(c.in, c.headerEnd, c.contentLength);
            if (good) {
              if (n == lat.length) lat = Arrays.copyOf(lat, 2 * n);
              lat[n++] = done - c.start;
              ok++;
            } else {
              errors++;
            }
            send(c, requests);
          } catch (IOException e) {
            // a broken connection is an error; open a new one and go on
            errors++;
            k.cancel();
            c.ch.close();
            open(c, at, sel);
            send(c, requests);
          }
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      for (Conn c : cs) c.ch.close();
      return new Result(ok, errors, secs, Arrays.copyOf(lat, n));
    }
  }

  private static void open(Conn c, InetSocketAddress at, Selector sel) throws IOException {
    c.ch = SocketChannel.open(at);
    c.ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    c.ch.configureBlocking(false);
    c.key = c.ch.register(sel, SelectionKey.OP_READ, c);
  }

  private static void send(Conn c, Requests requests) throws IOException {
    c.out = ByteBuffer.wrap(requests.next(c.id, c.seq++));
    c.filled = 0;
    c.headerEnd = -1;
    c.contentLength = -1;
    c.start = System.nanoTime();
    c.ch.write(c.out);
    c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
  }

  private static int read(Conn c) throws IOException {
    if (c.filled == c.in.length) c.in = Arrays.copyOf(c.in, c.in.length * 2);
    int r = c.ch.read(ByteBuffer.wrap(c.in, c.filled, c.in.length - c.filled));
    if (r > 0) c.filled += r;
    return r;
  }

  /** Whether the whole response is in; parses the status and Content-Length once the header is. */
  private static boolean complete(Conn c) throws IOException {
    if (c.headerEnd < 0) {
      int e = indexOfBlankLine(c.in, c.filled);
      if (e < 0) return false;
      c.headerEnd = e + 4;
      String head = new String(c.in, 0, e, StandardCharsets.US_ASCII);
      if (!head.startsWith("HTTP/1.1 ") || head.length() < 12) throw new IOException("not an HTTP/1.1 response");
      c.status = Integer.parseInt(head.substring(9, 12));
      int at = head.toLowerCase(java.util.Locale.ROOT).indexOf("\r\ncontent-length:");
      if (at < 0) throw new IOException("a response without Content-Length");
      int from = at + 17, to = head.indexOf('\r', from);
      c.contentLength = Integer.parseInt(head.substring(from, to < 0 ? head.length() : to).trim());
    }
    return c.filled >= c.headerEnd + c.contentLength;
  }

  private static int indexOfBlankLine(byte[] b, int n) {
    for (int i = 0; i + 3 < n; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
    }
    return -1;
  }
}
