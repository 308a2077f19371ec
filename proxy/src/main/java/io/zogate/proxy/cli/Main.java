package io.zogate.proxy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar zo-gate.jar <command>}. Exit codes (CONTRACT.md section 5): 0 ok, 2 usage
 * or configuration error with a one-line reason on stderr, 1 runtime failure.
 */
@Command(
    name = "zo-gate",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Governance proxy for MCP tool traffic.",
    subcommands = {ServeCommand.class, WatchCommand.class, RunCommand.class, KeysCommand.class, SignCommand.class,
        LedgerCommand.class, BridgeCommand.class})
public final class Main implements Runnable {
  public static final int OK = 0;
  public static final int RUNTIME_FAILURE = 1;
  public static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code (tests call this). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // "@FILE" arguments are never expanded: run passes its argv literally, and a signed argv must stay the argv.
    cl.setExpandAtFiles(false);
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine failed = ex.getCommandLine();
      failed.getErr().println("zo-gate: " + ex.getMessage());
      failed.getErr().println("(see: " + failed.getCommandSpec().qualifiedName(" ") + " --help)");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof UsageException u) {
        line.getErr().println("zo-gate: " + u.getMessage());
        return USAGE;
      }
      line.getErr().println("zo-gate: " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
      return RUNTIME_FAILURE;
    });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** A configuration or usage problem found while running: exit 2 with a one-line reason. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message, null, false, false);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"zo-gate " + (v == null ? "dev" : v)};
    }
  }
}
