namespace TrialManager.Domain.Randomization;

/// <summary>
/// One position of a stratum's list. <paramref name="Number"/> is 1-based within the stratum;
/// <paramref name="BlockNumber"/> is 1-based within the stratum; <paramref name="BlockSize"/> is the size drawn
/// for that block (the stratum's last block may be cut short, see <see cref="ListGenerator"/>).
/// </summary>
public sealed record ListSlot(int Number, string ArmCode, int BlockNumber, int BlockSize);

/// <summary>A stratum's slots, in number order. Equality is by value (stratum and every slot).</summary>
public sealed record StratumList(StratumKey Stratum, IReadOnlyList<ListSlot> Slots)
{
    public bool Equals(StratumList? other) =>
        other is not null && Stratum.Equals(other.Stratum) && Slots.SequenceEqual(other.Slots);

    public override int GetHashCode() => HashCode.Combine(Stratum, Slots.Count);
}

/// <summary>A whole randomization list: one <see cref="StratumList"/> per stratum. Equality is by value.</summary>
public sealed record RandomizationList(IReadOnlyList<StratumList> Strata)
{
    /// <summary>The list of one stratum; throws if the list has no such stratum.</summary>
    public StratumList this[StratumKey stratum] =>
        Strata.FirstOrDefault(s => s.Stratum.Equals(stratum)) ?? throw new KeyNotFoundException($"No stratum {stratum} in this list.");

    public int SlotCount => Strata.Sum(s => s.Slots.Count);

    public bool Equals(RandomizationList? other) => other is not null && Strata.SequenceEqual(other.Strata);

    public override int GetHashCode() => HashCode.Combine(Strata.Count, SlotCount);
}

/// <summary>
/// Generates a randomization list by stratified permuted blocks with random block sizes.
/// <para>
/// Each stratum has its own <see cref="SeededStream"/>, labelled <c>trialmanager/list/v1|</c> followed by the
/// canonical stratum key, so strata are independent of each other and of their order. Within a stratum, blocks
/// are made until the stratum has <see cref="RandomizationDesign.SlotsPerStratum"/> slots: a block's size is
/// drawn uniformly from the design's (ascending) block sizes with <c>NextInt(count)</c>; the block holds each arm
/// <c>ratio × size / ratioSum</c> times, written in arm order, then shuffled by Fisher–Yates.
/// </para>
/// <para>
/// Last-block cut: when fewer slots remain than the drawn block's size, the block is still drawn and shuffled in
/// full, and only its first slots are kept. The kept slots are a uniformly random prefix of a balanced block, so
/// every slot keeps the same arm probabilities and the running imbalance bound still holds; the stratum as a
/// whole may then be off the exact ratio by at most that bound. Those slots record the drawn size.
/// </para>
/// </summary>
public static class ListGenerator
{
    public const string StreamLabelPrefix = "trialmanager/list/v1|";

    public static string StreamLabel(StratumKey stratum) => StreamLabelPrefix + stratum.Canonical;

    public static RandomizationList Generate(RandomizationDesign design, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(design);
        var strata = new List<StratumList>(design.Strata.Count);
        foreach (var stratum in design.Strata)
        {
            strata.Add(GenerateStratum(design, stratum, seed));
        }

        return new RandomizationList(strata.AsReadOnly());
    }

    /// <summary>One stratum's list; the same as that stratum in <see cref="Generate"/> with the same seed.</summary>
    public static StratumList GenerateStratum(RandomizationDesign design, StratumKey stratum, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(stratum);
        var stream = new SeededStream(seed, StreamLabel(stratum));
        var slots = new List<ListSlot>(design.SlotsPerStratum);
        var block = new string[design.BlockSizes[^1]];
        var blockNumber = 0;
        while (slots.Count < design.SlotsPerStratum)
        {
            var size = design.BlockSizes[stream.NextInt(design.BlockSizes.Count)];
            var filled = 0;
            foreach (var arm in design.Arms)
            {
                for (var i = design.CountInBlock(arm, size); i > 0; i--)
                {
                    block[filled++] = arm.Code;
                }
            }

            stream.Shuffle(block.AsSpan(0, size));
            blockNumber++;
            var keep = Math.Min(size, design.SlotsPerStratum - slots.Count);
            for (var i = 0; i < keep; i++)
            {
                slots.Add(new ListSlot(slots.Count + 1, block[i], blockNumber, size));
            }
        }

        return new StratumList(stratum, slots.AsReadOnly());
    }
}
