using System.Globalization;
using TrialManager.Domain.Protocols;

namespace TrialManager.Domain.Randomization;

/// <summary>An arm's code and its share of the allocation ratio (e.g. 2 in 2:1).</summary>
public sealed record ArmRatio(string Code, int Ratio);

/// <summary>
/// What a randomization list is made from: the arms and their ratio, the allowed block sizes (each a multiple
/// of the ratio sum), the number of slots in each stratum, and the strata. Immutable and validated; block sizes
/// are kept in ascending order, so the order a protocol lists them in does not change the list a seed gives.
/// </summary>
public sealed class RandomizationDesign
{
    public RandomizationDesign(
        IEnumerable<ArmRatio> arms,
        IEnumerable<int> blockSizes,
        int slotsPerStratum,
        IEnumerable<StratumKey> strata)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(blockSizes);
        ArgumentNullException.ThrowIfNull(strata);
        var armList = arms.ToArray();
        if (armList.Length < 2)
        {
            throw new ArgumentException("A randomized design needs at least two arms.", nameof(arms));
        }

        foreach (var arm in armList)
        {
            StratumKey.RequireCode(arm.Code, nameof(arms));
            if (arm.Ratio < 1)
            {
                throw new ArgumentException($"Arm {arm.Code} has ratio {arm.Ratio}; ratios are whole numbers of at least 1.", nameof(arms));
            }
        }

        if (armList.Select(a => a.Code).Distinct(StringComparer.Ordinal).Count() != armList.Length)
        {
            throw new ArgumentException("Arm codes must be unique.", nameof(arms));
        }

        var ratioSum = armList.Sum(a => a.Ratio);
        var sizes = blockSizes.Order().ToArray();
        if (sizes.Length == 0)
        {
            throw new ArgumentException("At least one block size is needed.", nameof(blockSizes));
        }

        foreach (var size in sizes)
        {
            if (size < ratioSum || size % ratioSum != 0)
            {
                throw new ArgumentException($"Block size {size} is not a positive multiple of the ratio sum {ratioSum}.", nameof(blockSizes));
            }
        }

        if (sizes.Distinct().Count() != sizes.Length)
        {
            throw new ArgumentException("Block sizes must be distinct.", nameof(blockSizes));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(slotsPerStratum, 1);
        var strataList = strata.ToArray();
        if (strataList.Length == 0)
        {
            throw new ArgumentException("At least one stratum is needed.", nameof(strata));
        }

        if (strataList.Any(s => s is null) || strataList.Distinct().Count() != strataList.Length)
        {
            throw new ArgumentException("Strata must be given and distinct.", nameof(strata));
        }

        Arms = armList.AsReadOnly();
        BlockSizes = sizes.AsReadOnly();
        SlotsPerStratum = slotsPerStratum;
        Strata = strataList.AsReadOnly();
        RatioSum = ratioSum;
    }

    public IReadOnlyList<ArmRatio> Arms { get; }

    /// <summary>Allowed block sizes, ascending; each list block's size is drawn uniformly among them.</summary>
    public IReadOnlyList<int> BlockSizes { get; }

    public int SlotsPerStratum { get; }

    public IReadOnlyList<StratumKey> Strata { get; }

    public int RatioSum { get; }

    /// <summary>The ratio written the usual way, e.g. <c>2:1</c>.</summary>
    public string RatioText => string.Join(":", Arms.Select(a => a.Ratio.ToString(CultureInfo.InvariantCulture)));

    public static RandomizationDesign FromProtocol(Protocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        return new RandomizationDesign(
            protocol.Arms.Select(a => new ArmRatio(a.Code, a.Ratio)),
            protocol.Randomization.BlockSizes,
            protocol.Randomization.SlotsPerStratum,
            Randomization.Strata.Enumerate(protocol));
    }

    /// <summary>How many times <paramref name="arm"/> appears in a block of <paramref name="blockSize"/>.</summary>
    public int CountInBlock(ArmRatio arm, int blockSize) => arm.Ratio * (blockSize / RatioSum);

    /// <summary>The same design with other block sizes (e.g. a single fixed size, for comparison).</summary>
    public RandomizationDesign WithBlockSizes(IEnumerable<int> blockSizes) => new(Arms, blockSizes, SlotsPerStratum, Strata);

    public RandomizationDesign WithSlotsPerStratum(int slotsPerStratum) => new(Arms, BlockSizes, slotsPerStratum, Strata);

    public RandomizationDesign WithStrata(IEnumerable<StratumKey> strata) => new(Arms, BlockSizes, SlotsPerStratum, strata);
}
