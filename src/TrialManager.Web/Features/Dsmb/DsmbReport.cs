using TrialManager.Domain.Protocols;

namespace TrialManager.Web.Features.Dsmb;

public enum DsmbReportKind
{
    /// <summary>By arm, for the DSMB's closed session and the safety officer only.</summary>
    Closed,

    /// <summary>Pooled over arms: nothing in it depends on an allocation.</summary>
    Open,
}

/// <summary>A column of the summaries: an arm (with its code) or a total.</summary>
public sealed record DsmbColumn(string Label, string? ArmCode = null);

/// <summary>New and cumulative randomizations of one month (UTC) per column, with the month's consents pooled.</summary>
public sealed record DsmbEnrolmentMonth(string Month, int Consented, IReadOnlyList<int> Randomized, IReadOnlyList<int> Cumulative);

/// <summary>Enrolment over time: by arm (closed) or by site (open), each with a total column last.</summary>
public sealed record DsmbEnrolment(IReadOnlyList<DsmbColumn> Columns, IReadOnlyList<DsmbEnrolmentMonth> Months);

/// <param name="WithAdherence">Participants with at least one scheduled dose so far, over whom <paramref name="MeanAdherence"/> is taken.</param>
public sealed record DsmbExposure(int Randomized, int KitsDispensed, int WithAdherence, double? MeanAdherence, int BelowThreshold, int ExtraDoses);

public sealed record DsmbCount(int Events, int Participants);

/// <param name="ByGrade">Index 0 is CTCAE grade 1, index 4 grade 5.</param>
public sealed record DsmbSafetyGroup(DsmbCount Any, DsmbCount Serious, IReadOnlyList<DsmbCount> ByGrade);

public sealed record DsmbTermRow(string Term, IReadOnlyList<DsmbCount> Groups);

public sealed record DsmbSafety(IReadOnlyList<DsmbSafetyGroup> Groups, IReadOnlyList<DsmbTermRow> ByTerm);

/// <summary>n, mean and sample standard deviation (null below two values).</summary>
public sealed record DsmbStats(int N, double? Mean, double? Sd);

public sealed record DsmbScoreCell(DsmbStats Value, DsmbStats Change);

/// <param name="PostBaseline">Whether change from baseline is computed at this visit (visits after randomization).</param>
public sealed record DsmbScoreVisit(string VisitCode, string VisitName, bool PostBaseline, IReadOnlyList<DsmbScoreCell> Groups);

public sealed record DsmbScoreSummary(string FormCode, string FormTitle, string ScoreCode, string Label, bool Primary, IReadOnlyList<DsmbScoreVisit> Visits);

public sealed record DsmbDisposition(int Randomized, int DrugDiscontinued, int Withdrawn, int ConsentWithdrawn, int LostToFollowUp);

/// <summary>
/// A DSMB report. <see cref="Groups"/> are the columns of every per-group list here: the arms then a total in the
/// closed report, one pooled column in the open one. <see cref="Arms"/> is empty in the open report.
/// </summary>
/// <param name="Unallocated">Randomized participants whose allocation was not found (left out of the closed report; zero when all is well).</param>
public sealed record DsmbReport(
    DsmbReportKind Kind,
    string TrialCode,
    string TrialTitle,
    string ProtocolVersion,
    DateTimeOffset AsOf,
    bool ListGenerated,
    int Consented,
    IReadOnlyList<Arm> Arms,
    IReadOnlyList<DsmbColumn> Groups,
    DsmbEnrolment Enrolment,
    IReadOnlyList<DsmbExposure> Exposure,
    DsmbSafety Safety,
    IReadOnlyList<DsmbScoreSummary> Scores,
    IReadOnlyList<DsmbDisposition> Disposition,
    int Unallocated)
{
    public const int Grades = 5;

    public int Randomized => Disposition.Count == 0 ? 0 : Disposition[^1].Randomized;
}
