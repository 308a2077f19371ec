package io.zogate.proxy.governance;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The governance package is transport- and Zo-agnostic: JDK and Jackson only (DESIGN.md). */
class GovernanceArchitectureTest {
  private static final JavaClasses GOVERNANCE = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.zogate.proxy.governance");

  @Test
  void importedTheProductionClasses() {
    assertThat(GOVERNANCE.contain(PolicyGovernor.class)).isTrue();
    assertThat(GOVERNANCE.size()).isGreaterThan(10);
  }

  @Test
  void dependsOnlyOnTheJdkAndJackson() {
    classes().that().resideInAPackage("io.zogate.proxy.governance..")
        .should().onlyDependOnClassesThat()
        .resideInAnyPackage("java..", "javax..", "com.fasterxml.jackson..", "io.zogate.proxy.governance..")
        .check(GOVERNANCE);
  }

  @Test
  void knowsNothingOfHttpOrTheRestOfZoGate() {
    noClasses().that().resideInAPackage("io.zogate.proxy.governance..")
        .should().dependOnClassesThat()
        .resideInAnyPackage("com.sun.net.httpserver..", "java.net.http..", "io.zogate.proxy.jsonrpc..",
            "io.zogate.proxy.server..", "io.zogate.proxy.auth..", "io.zogate.proxy.upstream..")
        .check(GOVERNANCE);
  }
}
