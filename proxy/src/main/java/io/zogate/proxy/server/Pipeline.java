package io.zogate.proxy.server;

import java.io.IOException;
import java.util.List;

/**
 * The ordered stages a request goes through, written in exactly one place ({@link
 * ProxyServer#standardPipeline}). Immutable; each call walks it with a fresh index.
 */
public final class Pipeline implements Stage.Chain {
  private final List<Named> stages;

  /** A stage and the name tests and logs know it by. */
  public record Named(String name, Stage stage) {}

  public Pipeline(List<Named> stages) {
    this.stages = List.copyOf(stages);
  }

  public List<String> stageNames() {
    return stages.stream().map(Named::name).toList();
  }

  @Override
  public Outcome proceed(ProxyCall call) throws IOException {
    return new Link(0).proceed(call);
  }

  private final class Link implements Stage.Chain {
    private final int index;

    Link(int index) {
      this.index = index;
    }

    @Override
    public Outcome proceed(ProxyCall call) throws IOException {
      if (index >= stages.size()) {
        throw new IllegalStateException("the pipeline ended without an answer");
      }
      return stages.get(index).stage().handle(call, new Link(index + 1));
    }
  }
}
