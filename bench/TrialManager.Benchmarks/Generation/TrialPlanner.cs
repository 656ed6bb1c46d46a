using TrialManager.Domain.Protocols;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// Plans a whole run before anything is written: how many participants, pool members, screen failures and adverse
/// events each site gets (one stream seeded from <see cref="ScaleOptions.Seed"/>), then each site's people and their
/// timelines (a stream per site, seeded from the seed and the site's number, so a site's data does not depend on how
/// sites are shared between workers). The list and stock sizes of the protocol follow from the plan.
/// </summary>
internal static class TrialPlanner
{
    public static TrialPlan Plan(ScaleOptions options, DateTimeOffset now)
    {
        var shipped = ProtocolLoader.Load(ScaleProtocol.ShippedText(), ScaleProtocol.ShippedFile);
        var protocol = shipped.Protocol ?? throw new InvalidOperationException("The shipped protocol does not load: " + string.Join("; ", shipped.Errors));
        foreach (var form in protocol.Forms.Where(f => !FormValues.IsKnown(f.Code)))
        {
            throw new NotSupportedException($"The generator has no values for form {form.Code}.");
        }

        var sites = ScaleProtocol.Sites(options);
        var random = new Random(options.Seed);
        // Sites recruit at different rates, as real ones do.
        var weights = sites.Select(_ => 0.7 + (0.6 * random.NextDouble())).ToArray();
        var randomized = Apportion(options.Participants, weights);
        var pool = Apportion(options.EligiblePool, weights);
        var failures = Apportion(options.ScreenFailureCount, weights);
        var adverseEvents = Apportion(options.AdverseEvents, [.. randomized.Select(n => (double)n)]);

        // Set-up (protocol import, list, initial stock) happens a month before the first site opens.
        var startsAt = now.AddMonths(-options.EnrolmentMonths).AddDays(-30);
        var plans = sites.Select((site, i) => new SitePlanner(options, protocol, site, i + 1, startsAt, now, randomized[i], pool[i], failures[i], adverseEvents[i]).Build()).ToList();

        // Strata are site x baseline severity and levels alternate within a site, so no stratum needs more than half a
        // site's eligible people (plus a block of slack). Each randomized participant takes at most two kits of their
        // arm (randomization and the week-3 visit), and each arm holds half a site's stock; the pool needs one each.
        // Arms are balanced only within blocks, so each arm gets slack for a few participants more than half.
        var mostEligible = plans.Max(p => p.Count(PersonKind.Randomized) + p.Count(PersonKind.Pool));
        var slots = ((mostEligible + 1) / 2) + protocol.Randomization.BlockSizes.Max();
        var kits = (2 * mostEligible) + (8 * protocol.Randomization.BlockSizes.Max());
        var shelfLife = Math.Min(3650, (int)(now - startsAt).TotalDays + 365);
        var text = ScaleProtocol.Text(sites, slots, kits, options.TrialCode, shelfLife);
        var loaded = ProtocolLoader.Load(text, options.TrialCode + ".yaml");
        return new TrialPlan(options, loaded.Protocol ?? throw new InvalidOperationException("The generated protocol does not load: " + string.Join("; ", loaded.Errors)), text, now, startsAt, plans);
    }

    /// <summary>Splits <paramref name="total"/> in proportion to <paramref name="weights"/> (largest remainder), so the parts add up exactly.</summary>
    internal static int[] Apportion(int total, double[] weights)
    {
        var sum = weights.Sum();
        if (total == 0 || sum <= 0)
        {
            return new int[weights.Length];
        }

        var exact = weights.Select(w => total * w / sum).ToArray();
        var parts = exact.Select(x => (int)Math.Floor(x)).ToArray();
        foreach (var i in Enumerable.Range(0, weights.Length).OrderByDescending(i => exact[i] - parts[i]).ThenBy(i => i).Take(total - parts.Sum()))
        {
            parts[i]++;
        }

        return parts;
    }
}
