using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Safety;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;

namespace TrialManager.Web.Features.Safety;

/// <summary>What the report form posts: text as typed, so an entry that cannot be read is shown back unchanged beside its message.</summary>
public sealed class AdverseEventInput
{
    [StringLength(AdverseEventRules.MaxTermLength, ErrorMessage = "Keep the reported term to 200 characters.")]
    public string? ReportedTerm { get; set; }

    [StringLength(AdverseEventRules.MaxTermLength, ErrorMessage = "Keep the coded term to 200 characters.")]
    public string? CodedTerm { get; set; }

    [StringLength(AdverseEventRules.MaxCodeLength, ErrorMessage = "Keep the code to 20 characters.")]
    public string? Code { get; set; }

    [StringLength(10)]
    public string? Onset { get; set; }

    [StringLength(10)]
    public string? End { get; set; }

    [StringLength(1)]
    public string? Grade { get; set; }

    public bool Serious { get; set; }

    /// <summary>Never null: form binding sets null when no box is ticked.</summary>
    public List<string> SeriousnessCriteria
    {
        get => _criteria;
        set => _criteria = value ?? [];
    }

    private List<string> _criteria = [];

    [StringLength(24)]
    public string? Causality { get; set; }

    [StringLength(24)]
    public string? ActionTaken { get; set; }

    [StringLength(24)]
    public string? Outcome { get; set; }

    [StringLength(40)]
    public string? SpecialInterestCode { get; set; }

    [StringLength(4000, ErrorMessage = "Keep the narrative to 4000 characters.")]
    public string? Narrative { get; set; }

    /// <summary>The local date at the site when the site learned of it.</summary>
    [StringLength(10)]
    public string? AwareDate { get; set; }

    /// <summary>The local time (HH:mm) at the site when the site learned of it.</summary>
    [StringLength(5)]
    public string? AwareTime { get; set; }

    /// <summary>Follow-ups only: what is new in this version.</summary>
    [StringLength(2000, ErrorMessage = "Keep the note to 2000 characters.")]
    public string? FollowUpNote { get; set; }

    public const string AwareDateField = nameof(AwareDate);
    public const string AwareTimeField = nameof(AwareTime);
    public const string FollowUpNoteField = nameof(FollowUpNote);
    public const string CausalityField = nameof(Causality);
    public const string ActionTakenField = nameof(ActionTaken);

    public static AdverseEventInput From(AdverseEventVersion version, TimeZoneInfo siteZone)
    {
        var aware = TimeZoneInfo.ConvertTime(version.SiteAwareAt, siteZone);
        return new AdverseEventInput
        {
            ReportedTerm = version.ReportedTerm,
            CodedTerm = version.CodedTerm,
            Code = version.Code,
            Onset = Iso(version.Onset),
            End = version.End is { } end ? Iso(end) : null,
            Grade = version.Grade.ToString(CultureInfo.InvariantCulture),
            Serious = version.Serious,
            SeriousnessCriteria = [.. version.CriteriaCodes],
            Causality = version.Causality.ToString(),
            ActionTaken = version.ActionTaken.ToString(),
            Outcome = version.Outcome.ToString(),
            SpecialInterestCode = version.SpecialInterestCode,
            Narrative = version.Narrative,
            AwareDate = aware.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            AwareTime = aware.ToString("HH:mm", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// Reads the typed text into a report, adding a message beside each field that cannot be read. The awareness
    /// time is local to the site; a time skipped by a daylight-saving change is refused, and a repeated one is taken
    /// at its first occurrence (the earlier start, so the clock never gains an hour).
    /// </summary>
    public AdverseEventReport? Read(TimeZoneInfo siteZone, OperationResult result)
    {
        var before = result.Errors.Count;
        var onset = ReadDate(Onset, nameof(Onset), "the onset date", required: true, result);
        var end = ReadDate(End, nameof(End), "the end date", required: false, result);
        var grade = int.TryParse(Grade, NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : 0;
        if (grade is < 1 or > 5)
        {
            result.Add(nameof(Grade), "Choose a CTCAE grade from 1 to 5.");
        }

        var causality = ReadChoice<Causality>(Causality, CausalityField, "Choose the investigator's causality assessment.", result);
        var action = ReadChoice<ActionTaken>(ActionTaken, ActionTakenField, "Choose the action taken with the study drug.", result);
        var outcome = ReadChoice<EventOutcome>(Outcome, nameof(Outcome), "Choose the outcome.", result);
        var awareDate = ReadDate(AwareDate, AwareDateField, "the date the site learned of the event", required: true, result);
        DateTimeOffset? aware = null;
        if (!TimeOnly.TryParseExact(AwareTime ?? "", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var awareTime))
        {
            result.Add(AwareTimeField, "Enter the local time the site learned of the event, as HH:mm (e.g. 14:30).");
        }
        else if (awareDate is { } day)
        {
            aware = SiteCalendar.Instant(day.ToDateTime(awareTime), siteZone);
            if (aware is null)
            {
                result.Add(AwareTimeField, $"{AwareTime} did not happen on {Iso(day)} at the site: the clocks went forward. Enter the time as the site's clocks showed it.");
            }
        }

        if (result.Errors.Count > before || onset is null || aware is null)
        {
            return null;
        }

        return new AdverseEventReport(
            ReportedTerm?.Trim() ?? "",
            string.IsNullOrWhiteSpace(CodedTerm) ? null : CodedTerm.Trim(),
            string.IsNullOrWhiteSpace(Code) ? null : Code.Trim(),
            onset.Value,
            end,
            grade,
            Serious,
            [.. SeriousnessCriteria.Where(c => !string.IsNullOrWhiteSpace(c)).Distinct(StringComparer.Ordinal)],
            causality,
            action,
            outcome,
            string.IsNullOrWhiteSpace(SpecialInterestCode) ? null : SpecialInterestCode,
            aware.Value);
    }

    private static DateOnly? ReadDate(string? text, string field, string what, bool required, OperationResult result)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                result.Add(field, $"Enter {what}.");
            }

            return null;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        result.Add(field, $"Enter {what} as a date such as 2026-11-21.");
        return null;
    }

    private static T ReadChoice<T>(string? text, string field, string message, OperationResult result)
        where T : struct, Enum
    {
        if (EnumInput.TryRead<T>(text, out var value))
        {
            return value;
        }

        result.Add(field, message);
        return default;
    }

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
