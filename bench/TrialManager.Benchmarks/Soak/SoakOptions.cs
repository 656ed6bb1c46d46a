namespace TrialManager.Benchmarks.Soak;

/// <summary>How long and how hard a soak runs, and on which database server.</summary>
public sealed record SoakOptions
{
    /// <summary>How long the simulated people work (the set-up before and the crawl after come on top).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Simulated people at once, cast in turn from <see cref="SoakCast.Parts"/> (16 plays every part once).</summary>
    public int Users { get; init; } = 16;

    /// <summary>
    /// Creates an empty database and returns its connection string (a test passes its shared server's); null: the soak
    /// starts a throwaway PostgreSQL cluster of its own and removes it afterwards.
    /// </summary>
    public Func<Task<string>>? CreateDatabase { get; init; }

    /// <summary>The pause between one person's operations (drawn evenly between the two), as someone reads the page they got.</summary>
    public TimeSpan ThinkMin { get; init; } = TimeSpan.FromMilliseconds(400);

    public TimeSpan ThinkMax { get; init; } = TimeSpan.FromMilliseconds(1600);

    /// <summary>A response slower than this counts as an error (a timeout).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int Seed { get; init; } = 20261121;

    /// <summary>Prints progress (set-up steps, a line a minute); null for none.</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>
    /// Participants each site randomizes at most: coordinators stop enrolling there (and keep doing everything else) once
    /// it is reached. The list and the kits are sized from it (<see cref="SoakTrial.ProtocolText"/>), so neither runs
    /// out. The three coordinators of a site enrol about 20 a minute on a 2-core machine, so enrolment goes on for
    /// most of a run (about two thirds of a long one) and the rest is visits, events and reading.
    /// </summary>
    public int EnrolmentsPerSite => 20 + (int)Math.Ceiling(12 * Duration.TotalMinutes);

    /// <summary>Addresses of one shape (e.g. /participants/{id}) the crawler reads at most, per role.</summary>
    public int CrawlPerShape => Duration < TimeSpan.FromMinutes(10) ? 3 : 8;

    /// <summary>Requests a role's crawl makes at most (the report says when a crawl stopped there).</summary>
    public int CrawlRequests => Duration < TimeSpan.FromMinutes(10) ? 250 : 1500;
}
