using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;
using TrialManager.Domain.Tests.Protocols;

namespace TrialManager.Domain.Tests.Randomization;

/// <summary>The shipped designs, fixed test seeds, and the large generated samples shared by the statistical tests.</summary>
internal static class RandomizationFixtures
{
    /// <summary>Lists per design in the statistical tests.</summary>
    public const int ListCount = 10_000;

    private static readonly Lazy<Protocol> PsilocybinProtocol = new(() => ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!);
    private static readonly Lazy<Protocol> LsdProtocol = new(() => ProtocolFiles.Load("lsd-gad.yaml").Protocol!);
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<RandomizationList>>> Samples = new();

    public static Protocol Psilocybin => PsilocybinProtocol.Value;

    public static Protocol Lsd => LsdProtocol.Value;

    public static RandomizationDesign Design(string name) => name switch
    {
        "psilocybin" => RandomizationDesign.FromProtocol(Psilocybin),
        "lsd" => RandomizationDesign.FromProtocol(Lsd),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>A fixed, reproducible 32-byte seed: SHA-256 of "test-seed/{purpose}/{index}".</summary>
    public static byte[] Seed(int index, string purpose = "lists") =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"test-seed/{purpose}/{index}"));

    /// <summary>
    /// <see cref="ListCount"/> lists for a shipped design (optionally with one fixed block size), list i from
    /// <see cref="Seed"/>(i), generated once per test run.
    /// </summary>
    public static IReadOnlyList<RandomizationList> ManyLists(string name, int? fixedBlockSize = null) =>
        Samples.GetOrAdd($"{name}/{fixedBlockSize}", _ => new Lazy<IReadOnlyList<RandomizationList>>(() =>
        {
            var design = Design(name);
            if (fixedBlockSize is { } size)
            {
                design = design.WithBlockSizes([size]);
            }

            var lists = new RandomizationList[ListCount];
            Parallel.For(0, ListCount, i => lists[i] = ListGenerator.Generate(design, Seed(i)));
            return lists;
        })).Value;

    /// <summary>Every stratum sequence of a sample, as arm codes.</summary>
    public static IEnumerable<string[]> Sequences(IReadOnlyList<RandomizationList> lists) =>
        lists.SelectMany(l => l.Strata).Select(s => s.Slots.Select(x => x.ArmCode).ToArray());

    /// <summary>Upper-tail probability of a chi-square statistic.</summary>
    public static double ChiSquarePValue(double statistic, int degreesOfFreedom) =>
        1 - MathNet.Numerics.Distributions.ChiSquared.CDF(degreesOfFreedom, statistic);

    /// <summary>Pearson's goodness-of-fit statistic for observed counts against expected probabilities.</summary>
    public static double ChiSquare(IReadOnlyList<long> observed, IReadOnlyList<double> probabilities)
    {
        var total = observed.Sum();
        return observed.Select((o, i) => Math.Pow(o - (total * probabilities[i]), 2) / (total * probabilities[i])).Sum();
    }
}
