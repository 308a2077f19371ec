package io.zogate.proxy.cli;

/**
 * A separate process for {@link KeysCommandTest#concurrentProcessesLoseNoUpdate}: runs
 * {@code keys generate} {@code count} times against one keyring. Args: FILE PREFIX COUNT.
 */
public final class KeysWriterMain {
  private KeysWriterMain() {}

  public static void main(String[] args) {
    int count = Integer.parseInt(args[2]);
    for (int i = 0; i < count; i++) {
      int exit = Main.run("keys", "generate", "--keyring", args[0], "--kid", args[1] + "-" + i,
          "--actor", "did:zo:agent:" + args[1]);
      if (exit != 0) {
        System.exit(exit);
      }
    }
    System.exit(0);
  }
}
