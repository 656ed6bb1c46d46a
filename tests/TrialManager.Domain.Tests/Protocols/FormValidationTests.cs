using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Tests.Protocols;

public class FormValidationTests
{
    private static readonly Protocol Psilocybin = ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!;

    private static FormDefinition Vitals => Psilocybin.FindForm("VITALS")!;

    private static FormDefinition Adherence => Psilocybin.FindForm("ADHERENCE")!;

    private static FormDefinition Depression => Psilocybin.FindForm("DEP9")!;

    private static Dictionary<string, string?> ValidVitals() => new()
    {
        ["systolic"] = "128",
        ["diastolic"] = "82",
        ["heart_rate"] = "71",
        ["temperature"] = "36.6",
        ["weight"] = "72.5",
        ["new_murmur"] = "no",
    };

    private static FormValidationResult Vitals_with(string field, string? value)
    {
        var values = ValidVitals();
        values[field] = value;
        return Vitals.Validate(values);
    }

    [Fact]
    public void Valid_entry_gives_typed_values()
    {
        var result = Vitals.Validate(ValidVitals());

        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        Assert.Equal(new IntegerValue(128), result.Values["systolic"]);
        Assert.Equal(new DecimalValue(36.6m), result.Values["temperature"]);
        Assert.Equal(new YesNoValue(false), result.Values["new_murmur"]);
        Assert.False(result.Values.ContainsKey("murmur_notes"));
    }

    [Theory]
    [InlineData("systolic", null, "Systolic blood pressure is required.")]
    [InlineData("systolic", "   ", "Systolic blood pressure is required.")]
    [InlineData("systolic", "250", "enter a whole number from 70 to 220 mmHg")]
    [InlineData("systolic", "1,200", "without thousands separators")]
    [InlineData("systolic", "120.5", "enter a whole number.")]
    [InlineData("systolic", "NaN", "enter a whole number from 70 to 220 mmHg")]
    [InlineData("systolic", "Infinity", "enter a whole number from 70 to 220 mmHg")]
    [InlineData("systolic", "99999999999999999999999", "the number is too large")]
    [InlineData("systolic", "'; DROP TABLE crf;--", "enter a whole number from 70 to 220 mmHg")]
    [InlineData("systolic", "١٢٠", "enter a whole number from 70 to 220 mmHg")] // Arabic-Indic digits are not accepted as numbers
    [InlineData("temperature", "36,6", "use a dot as the decimal separator")]
    [InlineData("temperature", "36.65", "use at most 1 decimal place")]
    [InlineData("temperature", "NaN", "enter a number from 34 to 42 °C")]
    [InlineData("temperature", "-Infinity", "enter a number from 34 to 42 °C")]
    [InlineData("temperature", "1e2", "enter a number from 34 to 42 °C")]
    [InlineData("new_murmur", "maybe", "answer yes or no")]
    public void Bad_entries_get_a_message_on_their_field(string field, string? value, string fragment)
    {
        var result = Vitals_with(field, value);

        Assert.False(result.IsValid);
        var message = Assert.Single(result.Errors[field]);
        Assert.Contains(fragment, message, StringComparison.Ordinal);
        Assert.False(result.Values.ContainsKey(field));
    }

    [Fact]
    public void Ten_kilobyte_entries_are_refused_with_a_message()
    {
        var huge = new string('9', 10_000);

        var number = Vitals_with("systolic", huge);
        var text = Vitals_with("murmur_notes", new string('x', 10_000));

        Assert.Contains("too long", Assert.Single(number.Errors["systolic"]), StringComparison.Ordinal);
        Assert.Contains("at most 500 characters (this entry has 10000)", Assert.Single(text.Errors["murmur_notes"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Text_keeps_unicode_and_sql_like_input_verbatim()
    {
        var notes = "Soft systolic murmur, grade 2/6 — patient calm 😊; '; DROP TABLE participants;--";

        var result = Vitals_with("murmur_notes", notes);

        Assert.True(result.IsValid);
        Assert.Equal(new TextValue(notes), result.Values["murmur_notes"]);
    }

    [Fact]
    public void Text_length_counts_characters_not_utf16_units()
    {
        var fiveHundredEmoji = string.Concat(Enumerable.Repeat("\U0001F344", 500));

        Assert.True(Vitals_with("murmur_notes", fiveHundredEmoji).IsValid);
        Assert.False(Vitals_with("murmur_notes", fiveHundredEmoji + "x").IsValid);
    }

    [Fact]
    public void Text_is_stored_in_composed_form()
    {
        var decomposed = "Cafe\u0301";

        var result = Vitals_with("murmur_notes", decomposed);

        Assert.Equal(new TextValue("Caf\u00e9"), result.Values["murmur_notes"]);
    }

    [Theory]
    [InlineData("murmur\u0000notes", "U+0000")]
    [InlineData("bell\u0007", "U+0007")]
    [InlineData("escape \u001b[31m red", "U+001B")]
    public void Text_with_control_characters_or_broken_unicode_is_refused(string value, string fragment)
    {
        var result = Vitals_with("murmur_notes", value);

        Assert.Contains(fragment, Assert.Single(result.Errors["murmur_notes"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Text_with_a_lone_surrogate_is_refused()
    {
        // Built here, not in InlineData, because test discovery would replace the broken half-character.
        var broken = new string(['a', '\ud83c', 'b']);

        var result = Vitals_with("murmur_notes", broken);

        Assert.Contains("broken character", Assert.Single(result.Errors["murmur_notes"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Line_breaks_and_tabs_are_allowed_in_text()
    {
        Assert.True(Vitals_with("murmur_notes", "line one\r\nline two\tindented").IsValid);
    }

    [Theory]
    [InlineData("2026-02-30", "2026-02-30 is not a calendar date")]
    [InlineData("2026-13-01", "2026-13-01 is not a calendar date")]
    [InlineData("2025-02-29", "2025-02-29 is not a calendar date")]
    [InlineData("30/01/2026", "enter the date as YYYY-MM-DD")]
    [InlineData("2026-1-5", "enter the date as YYYY-MM-DD")]
    [InlineData("2026-01-05T10:00", "enter the date as YYYY-MM-DD")]
    public void Impossible_or_badly_written_dates_are_refused(string value, string fragment)
    {
        var result = Adherence.Validate(AdherenceEntry(("return_date", value)));

        Assert.Contains(fragment, Assert.Single(result.Errors["return_date"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Leap_day_is_a_date()
    {
        var result = Adherence.Validate(AdherenceEntry(("return_date", "2028-02-29"), ("last_dose_date", "2028-02-28")));

        Assert.True(result.IsValid);
        Assert.Equal(new DateValue(new DateOnly(2028, 2, 29)), result.Values["return_date"]);
    }

    [Fact]
    public void Comparison_check_reports_on_its_field()
    {
        var result = Adherence.Validate(AdherenceEntry(("return_date", "2026-03-01"), ("last_dose_date", "2026-03-04")));

        Assert.Equal(["Date the kit was returned must be at least Date of the last dose taken."], result.Errors["return_date"]);
    }

    [Fact]
    public void Comparison_check_uses_the_protocol_message_when_given()
    {
        var result = Vitals.Validate(new Dictionary<string, string?>(ValidVitals()) { ["systolic"] = "80", ["diastolic"] = "90" });

        Assert.Contains("check that the two were not swapped", Assert.Single(result.Errors["systolic"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Comparison_check_waits_until_both_fields_parse()
    {
        var result = Adherence.Validate(AdherenceEntry(("return_date", "2026-03-01"), ("last_dose_date", "soon")));

        Assert.False(result.Errors.ContainsKey("return_date"));
        Assert.True(result.Errors.ContainsKey("last_dose_date"));
    }

    [Fact]
    public void Required_when_check_fires_only_on_its_answer()
    {
        var missed = Adherence.Validate(AdherenceEntry(("doses_missed", "yes")));
        var explained = Adherence.Validate(AdherenceEntry(("doses_missed", "YES"), ("missed_reason", "Travelling")));
        var none = Adherence.Validate(AdherenceEntry(("doses_missed", "no")));

        Assert.Equal(["Why doses were missed is required when Any scheduled dose missed is yes."], missed.Errors["missed_reason"]);
        Assert.True(explained.IsValid);
        Assert.True(none.IsValid);
    }

    [Fact]
    public void Unknown_fields_are_reported_not_dropped()
    {
        var values = ValidVitals();
        values["is_admin"] = "true";

        var result = Vitals.Validate(values);

        Assert.Equal(["'is_admin' is not a field of form VITALS."], result.Errors["is_admin"]);
    }

    [Fact]
    public void Multiple_choice_takes_comma_separated_codes_in_protocol_order()
    {
        var diary = ProtocolFiles.Load("lsd-gad.yaml").Protocol!.FindForm("DIARY")!;
        var entry = new Dictionary<string, string?>
        {
            ["mood"] = "6",
            ["sleep_hours"] = "7.50",
            ["sleep_quality"] = "fair",
            ["side_effects"] = "sleep, headache",
            ["perceptual_change"] = "no",
        };

        var result = diary.Validate(entry);
        entry["side_effects"] = "headache,headache";
        var twice = diary.Validate(entry);
        entry["side_effects"] = "headache,hallucinations";
        var unknown = diary.Validate(entry);

        Assert.True(result.IsValid);
        Assert.Equal(["headache", "sleep"], Assert.IsType<ChoicesValue>(result.Values["side_effects"]).Codes);
        Assert.Equal("7.5", result.Values["sleep_hours"].ToStorageText());
        Assert.Contains("at most once", Assert.Single(twice.Errors["side_effects"]), StringComparison.Ordinal);
        Assert.Contains("choose only from the listed options", Assert.Single(unknown.Errors["side_effects"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "0", "0", "0", "0", "0", "0", "0", "0", "0" }, 0, "minimal")]
    [InlineData(new[] { "1", "1", "1", "1", "0", "0", "0", "0", "0" }, 4, "minimal")]
    [InlineData(new[] { "1", "1", "1", "1", "1", "0", "0", "0", "0" }, 5, "mild")]
    [InlineData(new[] { "2", "2", "2", "2", "1", "1", "0", "0", "0" }, 10, "moderate")]
    [InlineData(new[] { "2", "2", "2", "2", "2", "2", "2", "1", "0" }, 15, "moderately_severe")]
    [InlineData(new[] { "3", "3", "3", "3", "3", "2", "2", "0", "0" }, 19, "moderately_severe")]
    [InlineData(new[] { "3", "3", "3", "3", "2", "2", "2", "1", "1" }, 20, "severe")]
    [InlineData(new[] { "3", "3", "3", "3", "3", "3", "3", "3", "3" }, 27, "severe")]
    public void Depression_total_and_band(string[] answers, int total, string band)
    {
        var entry = answers.Select((a, i) => (Code: $"d{i + 1}", Answer: a)).ToDictionary(x => x.Code, x => (string?)x.Answer);

        var result = Depression.Validate(entry);

        Assert.True(result.IsValid);
        Assert.Equal(total, result.Scores["total"].Total);
        Assert.Equal(band, result.Scores["total"].Band.Code);
    }

    [Fact]
    public void Score_is_not_computed_from_a_partial_entry()
    {
        var entry = Enumerable.Range(1, 8).ToDictionary(i => $"d{i}", _ => (string?)"3");

        var result = Depression.Validate(entry);

        Assert.Empty(result.Scores);
        Assert.Equal(["Thoughts of being better off dead or of self-harm is required."], result.Errors["d9"]);
    }

    [Fact]
    public void Score_item_answers_must_be_listed_codes()
    {
        var entry = Enumerable.Range(1, 9).ToDictionary(i => $"d{i}", _ => (string?)"1");
        entry["d3"] = "4";

        var result = Depression.Validate(entry);

        Assert.Contains("choose one of the listed options (On no days, On some days, On most days, Almost daily)", Assert.Single(result.Errors["d3"]), StringComparison.Ordinal);
        Assert.Empty(result.Scores);
    }

    [Fact]
    public void Anxiety_bands_cover_zero_to_twenty_one()
    {
        var score = Psilocybin.FindForm("ANX7")!.FindScore("total")!;

        Assert.Equal((0, 21), (score.Minimum, score.Maximum));
        Assert.Equal(["minimal", "mild", "moderate", "severe"], score.Bands.Select(b => b.Code));
        Assert.Equal("mild", score.BandFor(9).Code);
        Assert.Equal("moderate", score.BandFor(10).Code);
        Assert.Equal("severe", score.BandFor(21).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => score.BandFor(22));
    }

    private static Dictionary<string, string?> AdherenceEntry(params (string Field, string? Value)[] changes)
    {
        var entry = new Dictionary<string, string?>
        {
            ["kit_code"] = "K7Q2M9",
            ["capsules_returned"] = "2",
            ["return_date"] = "2026-03-10",
            ["doses_missed"] = "no",
        };
        foreach (var (field, value) in changes)
        {
            entry[field] = value;
        }

        return entry;
    }
}
