using System.Globalization;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// The size and shape of a generated trial. The defaults are the scale the benchmarks are about: 50 sites, 10,000
/// randomized participants and a pool of consented, eligible participants left waiting for randomization.
/// </summary>
public sealed record ScaleOptions
{
    public int Sites { get; init; } = 50;

    /// <summary>Participants randomized (each with their visits, forms, diary and kits as far as their timeline reaches).</summary>
    public int Participants { get; init; } = 10_000;

    public int AdverseEvents { get; init; } = 5_000;

    /// <summary>Consented, screened, eligible participants left unrandomized, for a later randomization benchmark.</summary>
    public int EligiblePool { get; init; } = 2_700;

    /// <summary>Participants who fail screening (registered and screened, never randomized). Null: one in twenty of <see cref="Participants"/>.</summary>
    public int? ScreenFailures { get; init; }

    /// <summary>Concurrent workers; each owns whole sites, so no two touch the same site's stock or strata.</summary>
    public int Workers { get; init; } = 3;

    public int Seed { get; init; } = 1;

    /// <summary>The password of every generated account (signatures ask for it again). At least 12 characters.</summary>
    public string Password { get; init; } = "";

    public string TrialCode { get; init; } = "PSI-MDD-SCALE";

    /// <summary>Site codes are this prefix and a two-digit number (S01..S50); another prefix keeps two generated trials apart in one database.</summary>
    public string SitePrefix { get; init; } = "S";

    /// <summary>The end of the simulated timeline (the data's "today"). Null: the time the run starts.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>How long before <see cref="Now"/> the trial started recruiting.</summary>
    public int EnrolmentMonths { get; init; } = 18;

    /// <summary>
    /// Share of randomized participants planned to leave before their last visit (consent withdrawn, lost to
    /// follow-up, investigator's decision); those whose leaving date is still ahead are simply mid-way "today".
    /// </summary>
    public double EndedEarlyShare { get; init; } = 0.25;

    public int ScreenFailureCount => ScreenFailures ?? Participants / 20;

    /// <summary>The site code of the site numbered <paramref name="number"/> (1-based).</summary>
    public string SiteCode(int number) => SitePrefix + number.ToString(Sites > 99 ? "000" : "00", CultureInfo.InvariantCulture);
}

/// <summary>What a run produced, counted from the database afterwards (not from the plan).</summary>
public sealed record ScaleSummary(
    string TrialCode,
    Guid TrialId,
    int Sites,
    int Randomized,
    int EligiblePool,
    int ScreenFailed,
    int Withdrawn,
    int CompletedTreatment,
    int VisitsDone,
    int VisitsMissed,
    int FormsCompleted,
    int AdverseEvents,
    int SeriousAdverseEvents,
    int SafetyAssessments,
    int DiaryEntries,
    int KitsDispensed,
    int DataQueries,
    int Signatures,
    int BlindingGuesses,
    long AuditEntries,
    long Operations,
    TimeSpan Elapsed,
    long DatabaseBytes)
{
    public double OperationsPerSecond => Elapsed.TotalSeconds > 0 ? Operations / Elapsed.TotalSeconds : 0;

    public IEnumerable<string> Lines()
    {
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        yield return $"Trial {TrialCode} ({TrialId}): {N(Sites)} sites";
        yield return $"  participants randomized  {N(Randomized)} (treatment completed {N(CompletedTreatment)}, withdrawn {N(Withdrawn)})";
        yield return $"  eligible pool            {N(EligiblePool)} (consented, screened eligible, not randomized)";
        yield return $"  screen failures          {N(ScreenFailed)}";
        yield return $"  visits                   {N(VisitsDone)} done, {N(VisitsMissed)} missed";
        yield return $"  forms completed          {N(FormsCompleted)}";
        yield return $"  adverse events           {N(AdverseEvents)} ({N(SeriousAdverseEvents)} serious, {N(SafetyAssessments)} sponsor assessments)";
        yield return $"  diary entries            {N(DiaryEntries)}";
        yield return $"  kits dispensed           {N(KitsDispensed)}";
        yield return $"  data queries             {N(DataQueries)}";
        yield return $"  visit signatures         {N(Signatures)}";
        yield return $"  blinding guesses         {N(BlindingGuesses)}";
        yield return $"  audit entries            {N(AuditEntries)}";
        yield return string.Create(CultureInfo.InvariantCulture, $"  operations               {N(Operations)} in {Elapsed:hh\\:mm\\:ss} ({OperationsPerSecond:0.0} ops/s)");
        yield return string.Create(CultureInfo.InvariantCulture, $"  database size            {DatabaseBytes / (1024.0 * 1024.0):0.0} MB");
    }
}

/// <summary>Where a run is: the phase, how far through it (in operations), and running totals.</summary>
public sealed record GenerationProgress(
    string Phase,
    long Done,
    long Total,
    int Participants,
    int ParticipantsTotal,
    long Forms,
    long AdverseEvents,
    long Operations,
    double OperationsPerSecond,
    TimeSpan Elapsed)
{
    public double Fraction => Total > 0 ? Math.Clamp((double)Done / Total, 0, 1) : 0;

    /// <summary>Time left at the rate so far in this phase, once there is a rate worth going by (1% done).</summary>
    public TimeSpan? Remaining => Done * 100 >= Total && Total > Done && OperationsPerSecond > 0 ? TimeSpan.FromSeconds((Total - Done) / OperationsPerSecond) : null;
}
