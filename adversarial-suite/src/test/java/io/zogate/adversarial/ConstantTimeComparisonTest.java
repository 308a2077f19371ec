package io.zogate.adversarial;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gate check (category {@code gate-checks}, high): signatures and secrets are compared in
 * constant time. Reads the proxy's bytecode (the {@code zo-gate} classes on this module's
 * classpath, built from {@code proxy/} in the same reactor) with ArchUnit, so "compare
 * signatures with equals" turns the report red even though every attack case would still
 * pass (an {@code Arrays.equals} answers the same, only slower for a longer common prefix).
 *
 * <ul>
 *   <li>{@code ActorKey.verify} (the one place an HMAC tag is compared) calls
 *       {@code MessageDigest.isEqual} and no {@code equals} of any kind;
 *   <li>no class of {@code io.zogate.proxy} calls {@code Arrays.equals} on byte arrays, except
 *       the reviewed ones below, which compare nothing secret;
 *   <li>no method that computes a MAC ({@code Mac.doFinal}) or reads a signature off the wire
 *       ({@code ActorHeaders.sigHex}) compares with {@code String.equals},
 *       {@code equalsIgnoreCase}, {@code contentEquals}, {@code Objects.equals} or
 *       {@code Arrays.equals}; a signature read off the wire goes to {@code ActorKey.verify}.
 * </ul>
 *
 * <p>Limits: bytecode rules see calls, not data flow. A tag compared with {@code equals} in a
 * helper method that neither computes the MAC nor reads the header would pass the third rule;
 * the first two still pin the verifier itself.
 */
class ConstantTimeComparisonTest {
  static final String ACTOR_KEY = "io.zogate.proxy.auth.ActorKey";
  static final String ACTOR_HEADERS = "io.zogate.proxy.auth.ActorHeaders";

  /**
   * Classes allowed to call {@code Arrays.equals} on bytes, each reviewed: they compare
   * nothing an attacker learns from timing.
   */
  static final Set<String> REVIEWED_ARRAYS_EQUALS = Set.of(
      "io.zogate.proxy.auth.ReloadingKeyring", // SHA-256 of the keyring file, to skip a reload
      "io.zogate.proxy.traffic.Cidr", // network masks of configured CIDRs
      "io.zogate.proxy.upstream.UpstreamRequest", // value equality of a request record
      "io.zogate.proxy.upstream.SseReader"); // an event-stream field name

  static JavaClasses proxy;

  @BeforeAll
  static void importProxy() {
    proxy = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.zogate.proxy");
    if (proxy.stream().noneMatch(c -> c.getName().equals(ACTOR_KEY))) {
      throw new IllegalStateException(ACTOR_KEY + " not on the classpath: the check would prove nothing");
    }
  }

  static boolean isEqualsCall(JavaMethodCall call) {
    String owner = call.getTargetOwner().getName();
    String name = call.getName();
    return (owner.equals("java.util.Arrays") && name.equals("equals"))
        || (owner.equals("java.util.Objects") && (name.equals("equals") || name.equals("deepEquals")))
        || (owner.equals("java.lang.String")
            && (name.equals("equals") || name.equals("equalsIgnoreCase") || name.equals("contentEquals")
                || name.equals("compareTo") || name.equals("regionMatches")))
        || (owner.equals("java.lang.Object") && name.equals("equals"));
  }

  static ArchCondition<JavaMethod> callNoEquals() {
    return new ArchCondition<>("call no equals (Arrays, Objects, String)") {
      @Override
      public void check(JavaMethod method, ConditionEvents events) {
        for (JavaMethodCall call : method.getMethodCallsFromSelf()) {
          if (isEqualsCall(call)) {
            events.add(SimpleConditionEvent.violated(method, call.getDescription()));
          }
        }
      }
    };
  }

  static ArchCondition<JavaMethod> callMessageDigestIsEqual() {
    return new ArchCondition<>("call java.security.MessageDigest.isEqual") {
      @Override
      public void check(JavaMethod method, ConditionEvents events) {
        boolean calls = method.getMethodCallsFromSelf().stream().anyMatch(c ->
            c.getTargetOwner().getName().equals("java.security.MessageDigest") && c.getName().equals("isEqual"));
        events.add(new SimpleConditionEvent(method, calls,
            method.getFullName() + (calls ? " calls" : " does not call") + " MessageDigest.isEqual"));
      }
    };
  }

  static DescribedPredicate<JavaMethod> calling(String owner, String name) {
    return new DescribedPredicate<>("call " + owner + "." + name) {
      @Override
      public boolean test(JavaMethod m) {
        return m.getMethodCallsFromSelf().stream()
            .anyMatch(c -> c.getTargetOwner().getName().equals(owner) && c.getName().equals(name));
      }
    };
  }

  @Test
  void actorKeyVerifyComparesHmacTagsWithMessageDigestIsEqual() {
    methods().that().areDeclaredIn(ACTOR_KEY).and().haveName("verify")
        .should(callMessageDigestIsEqual()).andShould(callNoEquals())
        .because("an HMAC tag compared with equals leaks how many leading bytes matched (CONTRACT section 1)")
        .check(proxy);
  }

  @Test
  void noClassComparesByteArraysWithArraysEqualsOutsideTheReviewedOnes() {
    noClasses().that().resideInAPackage("io.zogate.proxy..")
        .and(new DescribedPredicate<>("are not reviewed " + REVIEWED_ARRAYS_EQUALS) {
          @Override
          public boolean test(com.tngtech.archunit.core.domain.JavaClass c) {
            return !REVIEWED_ARRAYS_EQUALS.contains(c.getName());
          }
        })
        .should().callMethod(java.util.Arrays.class, "equals", byte[].class, byte[].class)
        .orShould().callMethod(java.util.Arrays.class, "equals", byte[].class, int.class, int.class, byte[].class,
            int.class, int.class)
        .because("secrets and signatures are compared with MessageDigest.isEqual; a new Arrays.equals on bytes"
            + " is either that bug or needs a review entry here")
        .check(proxy);
  }

  @Test
  void nothingThatComputesAMacComparesWithEquals() {
    noMethods().that().areDeclaredInClassesThat().resideInAPackage("io.zogate.proxy..")
        .and(calling("javax.crypto.Mac", "doFinal"))
        .should(new ArchCondition<>("compare with equals") {
          @Override
          public void check(JavaMethod method, ConditionEvents events) {
            for (JavaMethodCall call : method.getMethodCallsFromSelf()) {
              if (isEqualsCall(call)) {
                events.add(SimpleConditionEvent.satisfied(method, call.getDescription()));
              }
            }
          }
        })
        .because("a computed tag is compared with MessageDigest.isEqual")
        .check(proxy);
  }

  @Test
  void aSignatureReadOffTheWireIsComparedOnlyByActorKeyVerify() {
    methods().that().areDeclaredInClassesThat().resideInAPackage("io.zogate.proxy..")
        .and(calling(ACTOR_HEADERS, "sigHex"))
        .and().areNotDeclaredIn(ACTOR_HEADERS)
        .should(new ArchCondition<>("call ActorKey.verify and compare sigHex with no equals") {
          @Override
          public void check(JavaMethod method, ConditionEvents events) {
            boolean verifies = method.getMethodCallsFromSelf().stream().anyMatch(c ->
                c.getTargetOwner().getName().equals(ACTOR_KEY) && c.getName().equals("verify"));
            events.add(new SimpleConditionEvent(method, verifies,
                method.getFullName() + (verifies ? " calls" : " does not call") + " ActorKey.verify"));
            for (JavaMethodCall call : method.getMethodCallsFromSelf()) {
              // String.equals on kids and actors is fine; on the signature text it is not.
              // Without data flow, refuse the String comparisons that only a signature needs.
              if (call.getTargetOwner().getName().equals("java.lang.String")
                  && (call.getName().equals("equalsIgnoreCase") || call.getName().equals("contentEquals"))) {
                events.add(SimpleConditionEvent.violated(method, call.getDescription()));
              }
              if (call.getTargetOwner().getName().equals("java.util.Arrays") && call.getName().equals("equals")) {
                events.add(SimpleConditionEvent.violated(method, call.getDescription()));
              }
            }
          }
        })
        .check(proxy);
  }
}
