package io.zogate.adversarial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The attack files are well-formed, and cases sharing a flag fail the same way. */
class AttackFilesLintTest {

  @Test
  void everyFileLoadsAndIdsAreUniqueAcrossFiles() {
    assertThat(AttackFiles.loadAll()).isNotEmpty();
  }

  @Test
  void casesSharingAFlagExpectTheSameOutcome() {
    List<String> conflicts = new ArrayList<>();
    for (AttackFiles.AttackFile f : AttackFiles.loadAll()) {
      Map<String, String> byFlag = new TreeMap<>();
      Map<String, String> firstId = new TreeMap<>();
      for (JsonNode c : f.cases()) {
        String expected = AttackFiles.expected(c.get("expect"));
        for (JsonNode flag : c.get("flags")) {
          String prev = byFlag.putIfAbsent(flag.asText(), expected);
          firstId.putIfAbsent(flag.asText(), c.get("id").asText());
          if (prev != null && !prev.equals(expected)) {
            conflicts.add(f.category() + ": flag " + flag.asText() + " is '" + prev + "' in "
                + firstId.get(flag.asText()) + " but '" + expected + "' in " + c.get("id").asText());
          }
        }
      }
    }
    assertThat(conflicts).isEmpty();
  }

  @Test
  void everyNoteIsUsed() {
    List<String> unused = new ArrayList<>();
    for (AttackFiles.AttackFile f : AttackFiles.loadAll()) {
      for (Iterator<String> it = f.notes().fieldNames(); it.hasNext(); ) {
        String flag = it.next();
        boolean used = f.cases().stream().anyMatch(c -> {
          for (JsonNode x : c.get("flags")) {
            if (x.asText().equals(flag)) {
              return true;
            }
          }
          return false;
        });
        if (!used) {
          unused.add(f.category() + ": " + flag);
        }
      }
    }
    assertThat(unused).isEmpty();
  }

  @Test
  void theRunnerRefusesAnUnknownSchemaAndDuplicateIds(@TempDir Path dir) throws Exception {
    Path unknown = dir.resolve("x.json");
    Files.writeString(unknown, "{\"schema\":\"zo-attack-cases/v2\",\"category\":\"x\",\"notes\":{},\"cases\":[]}");
    assertThatThrownBy(() -> AttackFiles.load(unknown)).hasMessageContaining("unknown schema");
    Path dup = dir.resolve("y.json");
    String c = "{\"id\":\"Y-1\",\"severity\":\"low\",\"title\":\"t\",\"flags\":[\"F\"],\"expect\":{\"status\":200}}";
    Files.writeString(dup, "{\"schema\":\"zo-attack-cases/v1\",\"category\":\"y\",\"notes\":{\"F\":\"f\"},\"cases\":["
        + c + "," + c + "]}");
    assertThatThrownBy(() -> AttackFiles.load(dup)).hasMessageContaining("duplicate id Y-1");
    Path badFlag = dir.resolve("z.json");
    Files.writeString(badFlag, "{\"schema\":\"zo-attack-cases/v1\",\"category\":\"z\",\"notes\":{},\"cases\":["
        + c.replace("Y-1", "Z-1") + "]}");
    assertThatThrownBy(() -> AttackFiles.load(badFlag)).hasMessageContaining("has no note");
  }

  @Test
  void theRunnerRefusesAStepWithoutExactlyOneAction(@TempDir Path dir) throws Exception {
    String file = "{\"schema\":\"zo-attack-cases/v1\",\"category\":\"s\",\"notes\":{\"F\":\"f\"},\"cases\":["
        + "{\"id\":\"S-1\",\"severity\":\"low\",\"title\":\"t\",\"flags\":[\"F\"],\"steps\":[STEP],"
        + "\"expect\":{\"status\":200}}]}";
    Path s = dir.resolve("s.json");
    Files.writeString(s, file.replace("STEP", "{\"send\":{},\"redis\":\"kill\"}"));
    assertThatThrownBy(() -> AttackFiles.load(s)).hasMessageContaining("exactly one of");
    Files.writeString(s, file.replace("STEP", "{\"on\":\"B\"}"));
    assertThatThrownBy(() -> AttackFiles.load(s)).hasMessageContaining("exactly one of");
    Files.writeString(s, file.replace("STEP", "{\"send\":{},\"expect\":{\"count\":1}}"));
    assertThatThrownBy(() -> AttackFiles.load(s)).hasMessageContaining("unknown member 'count'");
    Files.writeString(s, file.replace("STEP", "{\"send\":{},\"on\":\"B\",\"expect\":{\"status\":200}}"));
    assertThat(AttackFiles.load(s).cases()).hasSize(1);
  }
}
