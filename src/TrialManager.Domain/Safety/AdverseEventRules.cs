using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Safety;

/// <summary>A broken consistency rule, keyed by the input field the message belongs beside.</summary>
public sealed record RuleViolation(string Field, string Message);

/// <summary>
/// The consistency rules an adverse event report must meet before it is accepted. Field names are the keys the
/// report page shows messages under.
/// </summary>
public static class AdverseEventRules
{
    public const string ReportedTerm = nameof(AdverseEventReport.ReportedTerm);
    public const string CodedTerm = nameof(AdverseEventReport.CodedTerm);
    public const string Code = nameof(AdverseEventReport.Code);
    public const string Onset = nameof(AdverseEventReport.Onset);
    public const string End = nameof(AdverseEventReport.End);
    public const string Grade = nameof(AdverseEventReport.Grade);
    public const string Serious = nameof(AdverseEventReport.Serious);
    public const string SeriousnessCriteria = nameof(AdverseEventReport.SeriousnessCriteria);
    public const string Outcome = nameof(AdverseEventReport.Outcome);
    public const string SpecialInterest = nameof(AdverseEventReport.SpecialInterestCode);
    public const string SiteAwareAt = nameof(AdverseEventReport.SiteAwareAt);

    public const int MaxTermLength = 200;
    public const int MaxCodeLength = 20;

    /// <param name="consentedOn">The participant's consent date: nothing before it is an adverse event of this trial.</param>
    /// <param name="now">The server's clock.</param>
    /// <param name="siteZone">The site's time zone, in which "today" and the dates are reckoned.</param>
    public static IReadOnlyList<RuleViolation> Check(AdverseEventReport report, SafetyRules rules, DateOnly? consentedOn, DateTimeOffset now, TimeZoneInfo siteZone)
    {
        var problems = new List<RuleViolation>();
        void Add(string field, string message) => problems.Add(new RuleViolation(field, message));

        var today = SiteCalendar.LocalDate(now, siteZone);
        if (string.IsNullOrWhiteSpace(report.ReportedTerm))
        {
            Add(ReportedTerm, "Enter the event as the investigator describes it.");
        }
        else if (report.ReportedTerm.Trim().Length > MaxTermLength)
        {
            Add(ReportedTerm, $"Keep the reported term to {MaxTermLength} characters.");
        }

        if (report.CodedTerm is { Length: > MaxTermLength })
        {
            Add(CodedTerm, $"Keep the coded term to {MaxTermLength} characters.");
        }

        if (report.Code is { Length: > MaxCodeLength })
        {
            Add(Code, $"Keep the code to {MaxCodeLength} characters.");
        }

        if (!string.IsNullOrWhiteSpace(report.Code) && string.IsNullOrWhiteSpace(report.CodedTerm))
        {
            Add(CodedTerm, "A code needs the coded term it stands for.");
        }

        if (report.Grade is < 1 or > 5)
        {
            Add(Grade, $"Choose a CTCAE grade from 1 to 5 (CTCAE {rules.CtcaeVersion}).");
        }

        if (report.Onset > today)
        {
            Add(Onset, $"The onset date is after today ({Iso(today)}) at the site.");
        }
        else if (consentedOn is { } consent && report.Onset < consent)
        {
            Add(Onset, $"The onset date is before the participant consented ({Iso(consent)}); an event before consent is medical history, not an adverse event.");
        }

        if (report.End is { } end)
        {
            if (end < report.Onset)
            {
                Add(End, "The end date is before the onset date.");
            }
            else if (end > today)
            {
                Add(End, $"The end date is after today ({Iso(today)}) at the site.");
            }
        }

        var ongoing = report.Outcome is EventOutcome.Recovering or EventOutcome.NotRecovered;
        if (report.End is null && report.Outcome is EventOutcome.Recovered or EventOutcome.RecoveredWithSequelae or EventOutcome.Fatal)
        {
            Add(End, $"An outcome of '{report.Outcome.Describe()}' needs the date the event ended.");
        }
        else if (report.End is not null && ongoing)
        {
            Add(End, $"The event is '{report.Outcome.Describe()}', so it has no end date yet; clear it or change the outcome.");
        }

        var known = rules.SeriousnessCriteria.Select(c => c.Code).ToHashSet(StringComparer.Ordinal);
        var unknown = report.SeriousnessCriteria.Where(c => !known.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            Add(SeriousnessCriteria, $"Not a seriousness criterion of this protocol: {string.Join(", ", unknown)}.");
        }

        var death = report.SeriousnessCriteria.Contains(AdverseEventReport.Death);
        if (report.Serious && report.SeriousnessCriteria.Count == 0)
        {
            Add(SeriousnessCriteria, "A serious event needs at least one seriousness criterion.");
        }
        else if (!report.Serious && report.SeriousnessCriteria.Count > 0)
        {
            Add(Serious, "Seriousness criteria are ticked, so the event is serious: mark it serious or clear the criteria.");
        }

        if (report.Grade == 5)
        {
            if (report.Outcome != EventOutcome.Fatal)
            {
                Add(Outcome, "Grade 5 means the event was fatal: set the outcome to Fatal.");
            }

            if (!report.Serious || !death)
            {
                Add(SeriousnessCriteria, "Grade 5 means the event was fatal: mark it serious with the criterion 'death'.");
            }
        }
        else if (report.Outcome == EventOutcome.Fatal && report.Grade is >= 1 and <= 4)
        {
            Add(Grade, "A fatal outcome is grade 5.");
        }

        if (death && report.Outcome != EventOutcome.Fatal && report.Grade != 5)
        {
            Add(Outcome, "The criterion 'death' needs a fatal outcome.");
        }

        if (report.SpecialInterestCode is { Length: > 0 } aesi && !rules.SpecialInterestEvents.Any(e => e.Code == aesi))
        {
            Add(SpecialInterest, "Not an event of special interest of this protocol.");
        }

        if (report.SiteAwareAt > now)
        {
            Add(SiteAwareAt, "The time the site learned of the event is in the future.");
        }
        else if (SiteCalendar.LocalDate(report.SiteAwareAt, siteZone) < report.Onset)
        {
            Add(SiteAwareAt, "The site cannot have learned of the event before its onset date.");
        }

        return problems;
    }

    /// <summary>Expectedness against the protocol's reference list: the reported or the coded term.</summary>
    public static bool IsExpected(AdverseEventReport report, SafetyRules rules) =>
        rules.IsExpected(report.ReportedTerm) || (report.CodedTerm is { Length: > 0 } coded && rules.IsExpected(coded));

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
