namespace TrialManager.Domain.Randomization;

/// <summary>
/// One planned kit: where its initial stock goes (<paramref name="SiteCode"/>, null for the depot reserve), its
/// arm (to be sealed), and its 1-based position in the plan. Codes are drawn separately and at random (see
/// <see cref="KitCode"/>), so neither code nor sequence says anything about the arm.
/// </summary>
public sealed record PlannedKit(string? SiteCode, string ArmCode, int Sequence);

/// <summary>
/// Plans the kit list: each site's initial stock and the depot reserve.
/// <para>
/// Each stock (a site's, or the depot's) is made of whole arm-balanced blocks of <c>ratioSum</c> kits (each arm
/// <c>ratio</c> times): the requested number is rounded up to the next multiple of the ratio sum, and to at least
/// one block, so every arm is present and in the exact ratio. Every site therefore holds the same count of each
/// arm, and nobody can tell arms apart by how stock is split. Within each stock the kits are put in a uniformly
/// random order (Fisher–Yates over the whole stock, from a stream labelled
/// <c>trialmanager/kits/v1|site|CODE</c> or <c>trialmanager/kits/v1|depot</c>), so a kit's place in the plan
/// carries no arm information. The plan lists the sites' stocks in the order given, then the depot reserve;
/// <see cref="PlannedKit.Sequence"/> runs 1..N over the whole plan.
/// </para>
/// </summary>
public static class KitListPlanner
{
    public const string StreamLabelPrefix = "trialmanager/kits/v1|";

    public static IReadOnlyList<PlannedKit> Plan(
        RandomizationDesign design,
        IReadOnlyList<string> siteCodes,
        int kitsPerSite,
        int depotReserve,
        ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(siteCodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(kitsPerSite, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(depotReserve);
        foreach (var site in siteCodes)
        {
            StratumKey.RequireCode(site, nameof(siteCodes));
        }

        if (siteCodes.Distinct(StringComparer.Ordinal).Count() != siteCodes.Count)
        {
            throw new ArgumentException("Site codes must be distinct.", nameof(siteCodes));
        }

        var plan = new List<PlannedKit>();
        foreach (var site in siteCodes)
        {
            AddStock(plan, design, site, RoundUpToBlocks(design, kitsPerSite), new SeededStream(seed, StreamLabelPrefix + "site|" + site));
        }

        if (depotReserve > 0)
        {
            AddStock(plan, design, null, RoundUpToBlocks(design, depotReserve), new SeededStream(seed, StreamLabelPrefix + "depot"));
        }

        return plan.AsReadOnly();
    }

    /// <summary>The stock actually planned for a request of <paramref name="kits"/>: whole balanced blocks, at least one.</summary>
    public static int RoundUpToBlocks(RandomizationDesign design, int kits)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentOutOfRangeException.ThrowIfNegative(kits);
        var blocks = Math.Max(1, (kits + design.RatioSum - 1) / design.RatioSum);
        return blocks * design.RatioSum;
    }

    private static void AddStock(List<PlannedKit> plan, RandomizationDesign design, string? site, int count, SeededStream stream)
    {
        var blocks = count / design.RatioSum;
        var arms = new string[count];
        var filled = 0;
        foreach (var arm in design.Arms)
        {
            for (var i = arm.Ratio * blocks; i > 0; i--)
            {
                arms[filled++] = arm.Code;
            }
        }

        stream.Shuffle(arms.AsSpan());
        foreach (var arm in arms)
        {
            plan.Add(new PlannedKit(site, arm, plan.Count + 1));
        }
    }
}
