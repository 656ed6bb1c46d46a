using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Safety;

/// <summary>A version of an event report as the sponsor received it (ReceivedAt: when the site submitted it here).</summary>
public sealed record ReceivedReport(int Version, AdverseEventReport Report, DateTimeOffset ReceivedAt);

/// <summary>The sponsor's assessment: its own causality (beside, never over, the investigator's) and expectedness.</summary>
public sealed record SponsorAssessment(int AssessedVersion, Causality SponsorCausality, bool Expected, DateTimeOffset AssessedAt);

/// <summary>An expedited report the safety officer sent to the regulators, covering the event up to a version.</summary>
public sealed record SubmittedExpeditedReport(int CoversVersion, DateTimeOffset SubmittedAt);

public enum ClockKind
{
    /// <summary>From the site learning of a serious event (or one of special interest) to the report reaching the sponsor.</summary>
    SiteToSponsor,

    /// <summary>From the sponsor learning of a SUSAR to the initial expedited report.</summary>
    ExpeditedInitial,

    /// <summary>From the sponsor receiving new information on a reported SUSAR to the follow-up report.</summary>
    ExpeditedFollowUp,
}

/// <summary>One reporting clock of an event. Key is stable, so an alert about it is raised once.</summary>
public sealed record ReportingClock(ClockKind Kind, int Version, DateTimeOffset StartedAt, DateTimeOffset DueAt, DateTimeOffset? MetAt)
{
    public string Key => $"{Kind}:{Version}";

    public ClockState StateAt(DateTimeOffset now) => ReportingDeadline.State(StartedAt, DueAt, MetAt, now);

    public string Describe() => Kind switch
    {
        ClockKind.SiteToSponsor => $"Site report to sponsor (version {Version})",
        ClockKind.ExpeditedInitial => "Expedited SUSAR report",
        _ => $"Expedited follow-up report (version {Version})",
    };
}

/// <summary>
/// Where an event stands for expedited reporting, derived from its history alone: nothing here is stored, so the
/// clocks can never disagree with the reports, assessments and submissions they come from. See README.md.
/// </summary>
public sealed record SafetyStatus(
    AdverseEventReport Current,
    int CurrentVersion,
    bool ExpectedByReferenceList,
    SponsorAssessment? Assessment,
    bool AwaitingAssessment,
    bool IsSusar,
    DateTimeOffset? ProvisionalDueAt,
    IReadOnlyList<ReportingClock> Clocks)
{
    public static SafetyStatus Evaluate(
        IReadOnlyList<ReceivedReport> versions,
        SponsorAssessment? assessment,
        IReadOnlyList<SubmittedExpeditedReport> submissions,
        SafetyRules rules,
        TimeZoneInfo siteZone)
    {
        if (versions.Count == 0)
        {
            throw new ArgumentException("An event has at least its initial report.", nameof(versions));
        }

        var ordered = versions.OrderBy(v => v.Version).ToList();
        var current = ordered[^1];
        var clocks = new List<ReportingClock>();
        var allowances = rules.ReportingClocks;

        // The site's clock: each version carrying a serious (or special-interest) event, from when the site learned of it.
        foreach (var v in ordered.Where(v => v.Report.NeedsPromptReport))
        {
            var due = ReportingDeadline.DueAt(v.Report.SiteAwareAt, allowances.SiteToSponsor, siteZone);
            clocks.Add(new ReportingClock(ClockKind.SiteToSponsor, v.Version, v.Report.SiteAwareAt, due, v.ReceivedAt));
        }

        var expected = AdverseEventRules.IsExpected(current.Report, rules);
        var serious = current.Report.Serious;
        var awaiting = serious && (assessment is null || assessment.AssessedVersion < current.Version);
        var susar = serious && assessment is not null
            && (current.Report.IsRelated || assessment.SponsorCausality.IsReasonablyPossible())
            && !assessment.Expected;

        DateTimeOffset? provisional = null;
        var firstSerious = ordered.FirstOrDefault(v => v.Report.Serious);
        if (serious && firstSerious is not null)
        {
            // Day 0 is the day the sponsor first had the event as serious; fatal or life-threatening information
            // starts the shorter clock on the day it arrived, and whichever falls first applies.
            var due = ReportingDeadline.DueAt(firstSerious.ReceivedAt, allowances.OtherSusar, siteZone);
            var start = firstSerious.ReceivedAt;
            var firstGrave = ordered.FirstOrDefault(v => v.Report.Serious && v.Report.IsFatalOrLifeThreatening);
            if (firstGrave is not null)
            {
                var graveDue = ReportingDeadline.DueAt(firstGrave.ReceivedAt, allowances.FatalOrLifeThreateningSusar, siteZone);
                if (graveDue < due)
                {
                    due = graveDue;
                    start = firstGrave.ReceivedAt;
                }
            }

            if (!susar)
            {
                // Not (yet) a SUSAR: the date it would be due if the assessment finds one, so nobody assesses too late.
                provisional = awaiting ? due : null;
            }
            else
            {
                var initial = submissions.OrderBy(s => s.SubmittedAt).FirstOrDefault();
                clocks.Add(new ReportingClock(ClockKind.ExpeditedInitial, firstSerious.Version, start, due, initial?.SubmittedAt));
                foreach (var v in initial is null ? [] : ordered.Where(v => v.Version > initial.CoversVersion))
                {
                    var met = submissions.Where(s => s.CoversVersion >= v.Version).OrderBy(s => s.SubmittedAt).FirstOrDefault();
                    var followUpDue = ReportingDeadline.DueAt(v.ReceivedAt, allowances.FollowUp, siteZone);
                    clocks.Add(new ReportingClock(ClockKind.ExpeditedFollowUp, v.Version, v.ReceivedAt, followUpDue, met?.SubmittedAt));
                }
            }
        }

        return new SafetyStatus(current.Report, current.Version, expected, assessment, awaiting, susar, provisional, clocks)
        {
            ProvisionalStartedAt = provisional is null ? null : firstSerious!.ReceivedAt,
        };
    }

    /// <summary>When the sponsor first had the event as serious: where the provisional deadline is counted from.</summary>
    public DateTimeOffset? ProvisionalStartedAt { get; init; }

    /// <summary>The clocks still running (not met), soonest first.</summary>
    public IEnumerable<ReportingClock> OpenClocks => Clocks.Where(c => c.MetAt is null).OrderBy(c => c.DueAt);

    /// <summary>
    /// Every deadline someone must be warned about: the running clocks, then, while a serious event waits for
    /// assessment, the date it would be due if the assessment finds a SUSAR. The dashboard and the alerts read this.
    /// </summary>
    public IEnumerable<WatchedDeadline> Watched
    {
        get
        {
            foreach (var clock in OpenClocks)
            {
                yield return new WatchedDeadline(clock.Key, clock.Describe(), clock.StartedAt, clock.DueAt, Provisional: false);
            }

            if (ProvisionalDueAt is { } due && ProvisionalStartedAt is { } start)
            {
                yield return new WatchedDeadline($"Assessment:{CurrentVersion}", "Sponsor's assessment", start, due, Provisional: true);
            }
        }
    }
}

/// <summary>A deadline to watch; <see cref="Key"/> is stable so an alert about it is raised once.</summary>
public sealed record WatchedDeadline(string Key, string What, DateTimeOffset StartedAt, DateTimeOffset DueAt, bool Provisional);
