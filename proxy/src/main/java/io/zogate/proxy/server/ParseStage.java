package io.zogate.proxy.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.zogate.proxy.auth.VerifiedActor;
import io.zogate.proxy.jsonrpc.Jcs;
import io.zogate.proxy.jsonrpc.JsonRpcMessage;
import io.zogate.proxy.jsonrpc.RefusalException;
import io.zogate.proxy.jsonrpc.RequestId;
import io.zogate.proxy.jsonrpc.StrictJsonReader;

/**
 * Parses the authenticated body strictly (one I-JSON value, one JSON-RPC 2.0 message, no
 * batch) and derives the request id (CONTRACT.md section 2). Only now is the body parsed: an
 * unauthenticated caller never reaches the parser.
 */
final class ParseStage implements Stage.Check {
  private final StrictJsonReader reader;

  ParseStage(StrictJsonReader reader) {
    this.reader = reader;
  }

  @Override
  public void check(ProxyCall call) throws RefusalException {
    if (!call.request().method().equals("POST")) {
      // GET and DELETE carry no body: their request id has no JSON-RPC id, method or params.
      VerifiedActor actor = call.actor();
      call.message(null, RequestId.derive(actor.actorId(), actor.kid(), null, "", Jcs.paramsSha256Hex(null),
          actor.tsText(), actor.nonce()));
      return;
    }
    JsonNode tree = reader.read(call.body());
    JsonRpcMessage message = JsonRpcMessage.fromClient(tree);
    VerifiedActor actor = call.actor();
    String method = message.method() == null ? "" : message.method();
    String requestId = RequestId.derive(actor.actorId(), actor.kid(), message.id(), method,
        Jcs.paramsSha256Hex(message.params()), actor.tsText(), actor.nonce());
    call.message(message, requestId);
  }
}
