package io.zogate.proxy.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.zogate.proxy.jsonrpc.Reason;
import io.zogate.proxy.jsonrpc.Refusal;
import io.zogate.proxy.traffic.ProxyMetrics;
import java.io.IOException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The JDK server's handler: gives each exchange a trace id, runs it through the pipeline and
 * writes what the pipeline decided. A bug in a stage becomes -32603 with the trace id, logged
 * with its stack trace; the caller never sees more than the trace id.
 */
final class ProxyHandler implements HttpHandler {
  private static final Logger LOG = Logger.getLogger("io.zogate.proxy.access");
  private static final HexFormat HEX = HexFormat.of();
  private final Pipeline pipeline;
  private final ProxyMetrics metrics;

  ProxyHandler(Pipeline pipeline, ProxyMetrics metrics) {
    this.pipeline = pipeline;
    this.metrics = metrics;
  }

  @Override
  public void handle(HttpExchange exchange) {
    long startNanos = System.nanoTime();
    String traceId = newTraceId();
    Outcome outcome = null;
    try (exchange) {
      ExchangeResponder responder = new ExchangeResponder(exchange, traceId);
      ProxyCall call = new ProxyCall(new ExchangeRequest(exchange), traceId, responder);
      responder.attach(call);
      try {
        outcome = pipeline.proceed(call);
      } catch (IOException e) {
        LOG.log(Level.FINE, () -> traceId + " client connection lost: " + e.getClass().getSimpleName());
        return;
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, traceId + " internal error", e);
        outcome = new Outcome.Refused(Refusal.of(Reason.INTERNAL, e.getClass().getName()));
      }
      if (responder.committed()) {
        logRelayed(traceId, outcome);
        return;
      }
      write(responder, traceId, outcome);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, () -> traceId + " could not answer: " + e.getClass().getSimpleName());
    } finally {
      // Once the answer is written (or could not be): the outcome is known and nothing on
      // the request path waits for this. A lost client connection has no outcome to count.
      if (outcome != null) {
        record(outcome, System.nanoTime() - startNanos);
      }
    }
  }

  private void record(Outcome outcome, long nanos) {
    if (outcome instanceof Outcome.Refused refused) {
      metrics.requestFinished(ProxyMetrics.Result.REFUSED, refused.refusal().reason(), nanos);
    } else if (outcome instanceof Outcome.Relayed relayed) {
      Refusal failure = relayed.inStreamFailure();
      metrics.requestFinished(ProxyMetrics.Result.RELAYED, failure == null ? null : failure.reason(), nanos);
    } else {
      metrics.requestFinished(ProxyMetrics.Result.PLAIN, null, nanos);
    }
  }

  private static void write(ExchangeResponder responder, String traceId, Outcome outcome) throws IOException {
    if (outcome instanceof Outcome.Refused refused) {
      Refusal r = refused.refusal();
      LOG.log(Level.INFO, () -> traceId + " refused " + r.code().code() + " " + r.reason().wire()
          + (r.logDetail().isEmpty() ? "" : " (" + r.logDetail() + ")"));
      responder.sendRefusal(r);
    } else if (outcome instanceof Outcome.Plain plain) {
      LOG.log(Level.FINE, () -> traceId + " plain " + plain.status());
      responder.sendPlain(plain.status(), plain.headers());
    } else {
      // Relayed without writing anything cannot happen; answer rather than hang the client.
      LOG.log(Level.SEVERE, () -> traceId + " relayed outcome with nothing written");
      responder.sendRefusal(Refusal.of(Reason.INTERNAL));
    }
  }

  private static void logRelayed(String traceId, Outcome outcome) {
    if (outcome instanceof Outcome.Relayed relayed && relayed.inStreamFailure() != null) {
      Refusal r = relayed.inStreamFailure();
      LOG.log(Level.INFO, () -> traceId + " stream failed " + r.code().code() + " " + r.reason().wire()
          + (r.logDetail().isEmpty() ? "" : " (" + r.logDetail() + ")"));
    } else {
      LOG.log(Level.FINE, () -> traceId + " relayed");
    }
  }

  private static String newTraceId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return HEX.toHexDigits(r.nextLong()) + HEX.toHexDigits(r.nextLong());
  }
}
