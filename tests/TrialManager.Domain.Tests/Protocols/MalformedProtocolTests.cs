using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Protocols;

/// <summary>
/// Each case is one small edit of a valid protocol; the loader must reject the whole file with a precise error
/// (field path, line, and the words that say what is wrong) and return no protocol.
/// </summary>
public class MalformedProtocolTests
{
    /// <summary>A small protocol that uses every section; it loads cleanly (see the first test).</summary>
    public const string Base = """
code: BASE-01
title: Base protocol for validation tests
phase: "2"
registry_id: NCT00000099
version: "1.0"
sponsor: Test Sponsor
arms:
  - code: ACT
    blinded_label: Active 1 mg
    ratio: 1
  - code: PBO
    blinded_label: Placebo
    ratio: 1
randomization:
  stratify_by_site: true
  block_sizes: [2, 4]
  slots_per_stratum: 20
  factors:
    - code: severity
      label: Severity
      source:
        kind: derived_score
        form: SCALE
        score: total
      levels:
        - code: low
          label: Low
          values: [low]
        - code: high
          label: High
          values: [high]
kits:
  units_per_kit: 10
  unit: capsule
  doses_per_kit: 10
  shelf_life_days: 180
  initial_stock_per_site: 6
  resupply_min: 2
  resupply_max: 8
sites:
  - code: AMS
    name: Amsterdam
    country: NL
    time_zone: Europe/Amsterdam
dosing:
  dose:
    amount: 1
    unit: capsule
  pattern:
    kind: every_nth_day
    interval_days: 3
  start_day: 1
  duration_days: 28
visits:
  - code: SCR
    name: Screening
    kind: screening
    day: -14
    window_before_days: 14
    window_after_days: 13
    forms: [SCALE]
  - code: D0
    name: Randomization
    kind: randomization
    day: 0
    window_before_days: 0
    window_after_days: 0
    forms: [SCALE, VITALS]
    dispenses_kit: true
  - code: W2
    name: Week 2
    kind: treatment
    day: 14
    window_before_days: 3
    window_after_days: 3
    forms: [SCALE, VITALS]
    dispenses_kit: true
  - code: W4
    name: Week 4
    kind: treatment
    day: 28
    window_before_days: 3
    window_after_days: 3
    forms: [SCALE]
eligibility:
  - code: AGE
    kind: inclusion
    text: Age in years
    answer: number
    unit: years
    eligible_when: { min: 21, max: 65 }
  - code: SCORE
    kind: inclusion
    text: Screening scale total
    answer: number
    from_score: { form: SCALE, score: total }
    eligible_when: { min: 2 }
  - code: PSYCHOSIS
    kind: exclusion
    text: History of psychosis
    answer: yes_no
    eligible_when: "no"
  - code: SMOKING
    kind: exclusion
    text: Smoking
    answer: choice
    choices: [{ code: never, label: Never }, { code: former, label: Former }, { code: current, label: Current }]
    eligible_when: [never, former]
    hard_stop: false
choice_sets:
  - code: freq
    choices:
      - { code: "0", label: Never }
      - { code: "1", label: Sometimes }
      - { code: "2", label: Often }
forms:
  - code: SCALE
    title: Short scale
    fields:
      - { code: q1, label: Item one, type: single_choice, choices: freq, required: true }
      - { code: q2, label: Item two, type: single_choice, choices: freq, required: true }
      - { code: q3, label: Item three, type: integer, min: 0, max: 2, required: true }
    scores:
      - code: total
        label: Total
        items: [q1, q2, q3]
        bands:
          - { code: low, label: Low, min: 0, max: 3 }
          - { code: high, label: High, min: 4, max: 6 }
  - code: VITALS
    title: Vital signs
    fields:
      - { code: systolic, label: Systolic, type: integer, unit: mmHg, min: 70, max: 220, required: true }
      - { code: diastolic, label: Diastolic, type: integer, unit: mmHg, min: 40, max: 140, required: true }
      - { code: start_date, label: Start date, type: date }
      - { code: end_date, label: End date, type: date }
      - { code: other, label: Other finding, type: yes_no }
      - { code: other_text, label: Other finding details, type: text, max_length: 200 }
    checks:
      - field: systolic
        operator: ">"
        other_field: diastolic
      - field: end_date
        operator: ">="
        other_field: start_date
      - field: other_text
        required_when: { field: other, equals: "yes" }
safety:
  ctcae_version: "5.0"
  seriousness_criteria:
    - { code: death, label: Death }
    - { code: hospitalization, label: Hospitalization }
  special_interest_events:
    - { code: AESI-PERC, term: Perceptual disturbance }
  expected_events: [Headache, Nausea]
  reporting_clocks:
    site_to_sponsor: 24h
    susar_fatal_or_life_threatening: 7d
    susar_other: 15d
    follow_up: 15d
  code_break_roles: [Investigator]
blinding_assessment:
  visits: [W2, W4]
  respondents: [participant, investigator]
  guesses:
    - { code: active, label: Active, arms: [ACT] }
    - { code: placebo, label: Placebo, arms: [PBO] }
    - { code: unsure, label: Do not know, arms: [] }
""";

    /// <summary>Fixed time zones, so the cases do not depend on the machine's time zone data.</summary>
    public static bool KnownTimeZone(string id) => id is "Europe/Amsterdam" or "America/Toronto";

    [Fact]
    public void Base_protocol_loads()
    {
        var result = ProtocolLoader.Load(Base, "base.yaml", KnownTimeZone);

        Assert.True(result.Succeeded, string.Join(Environment.NewLine, result.Errors));
    }

    public static TheoryData<string, string, string, string, int, string> Cases => new()
    {
        // case, find, replace with, expected field path, expected line, expected message fragment
        { "unknown top-level key", "sponsor: Test Sponsor", "sponsr: Test Sponsor", "sponsr", 6, "did you mean 'sponsor'?" },
        { "unknown nested key", "    window_after_days: 13", "    window_afer_days: 13", "visits[0].window_afer_days", 60, "did you mean 'window_after_days'?" },
        { "missing required field", "    ratio: 1\nrandomization:", "randomization:", "arms[1].ratio", 11, "Required field 'ratio' is missing" },
        { "missing section", "sites:\n  - code: AMS\n    name: Amsterdam\n    country: NL\n    time_zone: Europe/Amsterdam\n", "", "sites", 1, "Required field 'sites' is missing from the protocol" },
        { "text where a number belongs", "    blinded_label: Placebo\n    ratio: 1", "    blinded_label: Placebo\n    ratio: two", "arms[1].ratio", 13, "must be a whole number from 1 to 20, not 'two'" },
        { "list where a value belongs", "  slots_per_stratum: 20", "  slots_per_stratum: [20]", "randomization.slots_per_stratum", 17, "found a list" },
        { "block size not a multiple of the ratio sum", "block_sizes: [2, 4]", "block_sizes: [2, 5]", "randomization.block_sizes[1]", 16, "not a multiple of the ratio sum 2" },
        { "ratio change no longer fits the blocks", "    blinded_label: Active 1 mg\n    ratio: 1", "    blinded_label: Active 1 mg\n    ratio: 2", "randomization.block_sizes[0]", 16, "Block size 2 is not a multiple of the ratio sum 3 (2:1)" },
        { "block size listed twice", "block_sizes: [2, 4]", "block_sizes: [2, 4, 2]", "randomization.block_sizes[2]", 16, "listed twice" },
        { "overlapping visit windows", "    window_after_days: 3\n    forms: [SCALE, VITALS]", "    window_after_days: 12\n    forms: [SCALE, VITALS]", "visits[3].window_before_days", 82, "overlaps the window of W2 (days 11 to 26)" },
        { "visits out of day order", "    day: 28", "    day: 10", "visits[3].day", 81, "Visits must be listed in day order: W4 (day 10) follows W2 (day 14)" },
        { "randomization not on day 0", "    day: 0", "    day: 1", "visits[1].day", 65, "defines day 0" },
        { "randomization visit does not dispense", "    forms: [SCALE, VITALS]\n    dispenses_kit: true\n  - code: W2", "    forms: [SCALE, VITALS]\n  - code: W2", "visits[1].dispenses_kit", 62, "must dispense a kit" },
        { "negative visit window", "    window_before_days: 3\n    window_after_days: 3\n    forms: [SCALE]", "    window_before_days: -1\n    window_after_days: 3\n    forms: [SCALE]", "visits[3].window_before_days", 82, "whole number from 0 to 365" },
        { "form referenced but not defined", "    forms: [SCALE]\neligibility:", "    forms: [SCALES]\neligibility:", "visits[3].forms[0]", 84, "Form 'SCALES' is not defined: did you mean 'SCALE'?" },
        { "duplicate arm code", "  - code: PBO", "  - code: act", "arms[1].code", 11, "Duplicate arm code 'act': arms[0] already uses it" },
        { "duplicate visit code", "  - code: W4", "  - code: W2", "visits[3].code", 78, "Duplicate visit code 'W2'" },
        { "invalid code", "  - code: AMS", "  - code: A M S", "sites[0].code", 41, "is not a valid code" },
        { "negative duration", "  duration_days: 28", "  duration_days: -5", "dosing.duration_days", 53, "whole number from 1 to 3650, not '-5'" },
        { "dosing outlasts the visits", "  duration_days: 28", "  duration_days: 40", "dosing.duration_days", 53, "Dosing runs to day 40, after the last visit W4 (day 28)" },
        { "pattern key of another kind", "    interval_days: 3", "    days_on: 3", "dosing.pattern.days_on", 51, "does not apply to kind every_nth_day" },
        { "unknown time zone", "Europe/Amsterdam", "Europe/Amsterdm", "sites[0].time_zone", 44, "not a known IANA time zone" },
        { "lower-case country", "country: NL", "country: nl", "sites[0].country", 43, "two capital letters of ISO 3166-1" },
        { "unknown phase", "phase: \"2\"", "phase: \"5\"", "phase", 3, "'5' is not a valid phase" },
        { "field min above max", "min: 0, max: 2, required: true", "min: 3, max: 2, required: true", "forms[0].fields[2].max", 122, "min (3) is greater than max (2)" },
        { "unknown field type", "type: integer, min: 0, max: 2", "type: int, min: 0, max: 2", "forms[0].fields[2].type", 122, "'int' is not a valid type" },
        { "attribute the type cannot use", "label: Start date, type: date }", "label: Start date, type: date, max_length: 10 }", "forms[1].fields[2].max_length", 135, "applies only to text fields" },
        { "choice set not defined", "choices: freq, required: true }\n      - { code: q2", "choices: frq, required: true }\n      - { code: q2", "forms[0].fields[0].choices", 120, "Choice set 'frq' is not defined: did you mean 'freq'?" },
        { "gap between bands", "{ code: high, label: High, min: 4, max: 6 }", "{ code: high, label: High, min: 5, max: 6 }", "forms[0].scores[0].bands[1].min", 129, "leaves 4 to 4 in no band" },
        { "overlapping bands", "{ code: high, label: High, min: 4, max: 6 }", "{ code: high, label: High, min: 3, max: 6 }", "forms[0].scores[0].bands[1].min", 129, "overlaps the band before it" },
        { "bands short of the score maximum", "{ code: high, label: High, min: 4, max: 6 }", "{ code: high, label: High, min: 4, max: 5 }", "forms[0].scores[0].bands[1].max", 129, "must end exactly at 6" },
        { "score item listed twice", "items: [q1, q2, q3]", "items: [q1, q2, q3, q1]", "forms[0].scores[0].items[3]", 126, "listed twice" },
        { "score item that cannot be summed", "equals: \"yes\" }", "equals: \"yes\" }\n    scores:\n      - code: dates\n        label: Dates\n        items: [systolic, start_date]\n        bands: [{ code: all, label: All, min: 0, max: 1 }]", "forms[1].scores[0].items[1]", 151, "Item 'start_date' cannot be summed" },
        { "check names an unknown field", "        other_field: diastolic", "        other_field: diastolc", "forms[1].checks[0].other_field", 142, "did you mean 'diastolic'?" },
        { "check compares a date with a number", "        other_field: start_date", "        other_field: systolic", "forms[1].checks[1].other_field", 145, "cannot be compared" },
        { "condition with an impossible answer", "equals: \"yes\" }", "equals: \"maybe\" }", "forms[1].checks[2].required_when.equals", 147, "'maybe' is not an answer of other" },
        { "eligibility range upside down", "{ min: 21, max: 65 }", "{ min: 65, max: 21 }", "eligibility[0].eligible_when.max", 91, "max must be at least min" },
        { "eligibility on an undefined score", "score: total }", "score: sum }", "eligibility[1].from_score.score", 96, "Score of form SCALE 'sum' is not defined" },
        { "eligibility yes/no answer misspelt", "eligible_when: \"no\"", "eligible_when: \"nope\"", "eligibility[2].eligible_when", 102, "'nope' is not a valid eligible_when" },
        { "eligibility choice not offered", "eligible_when: [never, former]", "eligible_when: [never, formr]", "eligibility[3].eligible_when[1]", 108, "did you mean 'former'?" },
        { "stratum level on an unknown band", "values: [high]", "values: [hihg]", "randomization.factors[0].levels[1].values[0]", 31, "Source value 'hihg' is not defined: did you mean 'high'?" },
        { "band in two stratum levels", "values: [high]", "values: [low]", "randomization.factors[0].levels[1].values[0]", 31, "already puts participants in level low" },
        { "eligible band without a stratum level", "values: [high]", "values: []", "randomization.factors[0].levels[1].values", 31, "needs at least 1 item" },
        { "resupply limits upside down", "  resupply_max: 8", "  resupply_max: 1", "kits.resupply_max", 39, "is below resupply_min" },
        { "kit too small for the dispensing interval", "  doses_per_kit: 10", "  doses_per_kit: 5", "kits.doses_per_kit", 35, "raise doses_per_kit to at least 6" },
        { "reporting clock too long", "  susar_other: 15d", "  susar_other: 20d", "safety.reporting_clocks.susar_other", 159, "at most 15d" },
        { "reporting clock not a duration", "  site_to_sponsor: 24h", "  site_to_sponsor: one day", "safety.reporting_clocks.site_to_sponsor", 157, "not a duration" },
        { "code-break role that must stay blinded", "code_break_roles: [Investigator]", "code_break_roles: [Administrator]", "safety.code_break_roles[0]", 161, "'Administrator' may not break the code" },
        { "blinding assessed before any dose", "visits: [W2, W4]", "visits: [SCR, W4]", "blinding_assessment.visits[0]", 163, "before any dose" },
        { "guess names an undefined arm", "arms: [PBO] }", "arms: [PLB] }", "blinding_assessment.guesses[1].arms[0]", 167, "Arm 'PLB' is not defined" },
        { "malformed YAML: unclosed bracket", "  block_sizes: [2, 4]", "  block_sizes: [2, 4", "", 16, "The YAML is malformed" },
        { "malformed YAML: bad indentation", "    blinded_label: Placebo\n    ratio: 1", "    blinded_label: Placebo\n   ratio: 1", "", 13, "The YAML is malformed" },
        { "duplicate key", "version: \"1.0\"", "version: \"1.0\"\nversion: \"1.1\"", "", 6, "Duplicate key" },
        { "YAML alias", "version: \"1.0\"\nsponsor: Test Sponsor", "version: &v \"1.0\"\nsponsor: *v", "", 6, "aliases (*v) are not supported" },
    };

    /// <summary>
    /// A cut-off upload is a likely broken file; none may make the loader throw. Cuts stop before the last line,
    /// because the base stays valid without its optional last guess.
    /// </summary>
    [Fact]
    public void Truncated_files_give_errors_never_exceptions()
    {
        for (var length = 0; length < Base.LastIndexOf('\n'); length += 7)
        {
            var result = ProtocolLoader.Load(Base[..length], "truncated.yaml", KnownTimeZone);

            Assert.False(result.Succeeded, $"A file cut at {length} of {Base.Length} characters loaded: ...{Base[Math.Max(0, length - 60)..length]}");
            Assert.NotEmpty(result.Errors);
            Assert.All(result.Errors, e => Assert.True(e.Line >= 1, $"Error without a line at length {length}: {e}"));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rejects_malformed_protocol_with_a_precise_error(string name, string find, string replaceWith, string path, int line, string fragment)
    {
        Assert.True(Base.Split(find).Length == 2, $"'{name}': the text to edit must occur exactly once in the base protocol.");
        var yaml = Base.Replace(find, replaceWith, StringComparison.Ordinal);

        var result = ProtocolLoader.Load(yaml, "edited.yaml", KnownTimeZone);

        Assert.False(result.Succeeded);
        Assert.Null(result.Protocol);
        Assert.True(
            result.Errors.Any(e => e.FieldPath == path && e.Line == line && e.Message.Contains(fragment, StringComparison.Ordinal) && e.File == "edited.yaml"),
            $"'{name}': expected {path} at line {line} with \"{fragment}\"; got:{Environment.NewLine}{string.Join(Environment.NewLine, result.Errors)}");
    }
}
