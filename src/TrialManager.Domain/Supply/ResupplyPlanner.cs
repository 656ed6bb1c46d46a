using System.Globalization;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Supply;

/// <summary>One kit in a site's stock as the sealed supply service sees it: code, arm and expiry date.</summary>
public sealed record StockKit(string KitCode, string ArmCode, DateOnly Expiry);

/// <summary>
/// How a site's stock is kept up. <see cref="MinimumPerArm"/> and <see cref="MaximumPerArm"/> count dispensable
/// kits of each arm per unit of its ratio (an arm with ratio 2 keeps twice as many, as it is dispensed twice as
/// often), so every arm can always be dispensed. A kit is dispensable on day d only while
/// <c>d + ExpiryMarginDays &lt; Expiry</c>. <see cref="LeadTimeDays"/> is how long a shipment takes to arrive:
/// a kit that will cross the margin before a shipment ordered today could arrive is not counted as stock.
/// </summary>
public sealed record ResupplyPolicy
{
    public ResupplyPolicy(int minimumPerArm, int maximumPerArm, int expiryMarginDays, int leadTimeDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumPerArm);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumPerArm, Math.Max(1, minimumPerArm));
        ArgumentOutOfRangeException.ThrowIfNegative(expiryMarginDays);
        ArgumentOutOfRangeException.ThrowIfNegative(leadTimeDays);
        MinimumPerArm = minimumPerArm;
        MaximumPerArm = maximumPerArm;
        ExpiryMarginDays = expiryMarginDays;
        LeadTimeDays = leadTimeDays;
    }

    public int MinimumPerArm { get; }

    public int MaximumPerArm { get; }

    public int ExpiryMarginDays { get; }

    public int LeadTimeDays { get; }

    /// <summary>The protocol's <c>resupply_min</c> and <c>resupply_max</c>, read per arm.</summary>
    public static ResupplyPolicy FromProtocol(KitDefinition kits, int expiryMarginDays, int leadTimeDays)
    {
        ArgumentNullException.ThrowIfNull(kits);
        return new ResupplyPolicy(kits.ResupplyMinimum, kits.ResupplyMaximum, expiryMarginDays, leadTimeDays);
    }

    /// <summary>
    /// The policy at one site: its own resupply levels or the trial's, the protocol's expiry margin, and the lead time
    /// of the depot that supplies it (0 when the protocol has no depot).
    /// </summary>
    public static ResupplyPolicy ForSite(Protocol protocol, string siteCode)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        var (minimum, maximum) = protocol.ResupplyLevels(siteCode);
        var depot = protocol.FindSite(siteCode)?.DepotCode is { } code ? protocol.FindDepot(code) : null;
        return new ResupplyPolicy(minimum, maximum, protocol.Kits.ExpiryMarginDays, depot?.LeadTimeDays ?? 0);
    }

    /// <summary>Whether a kit may be handed to a participant on <paramref name="day"/>.</summary>
    public bool IsDispensable(DateOnly expiry, DateOnly day) => day.AddDays(ExpiryMarginDays) < expiry;
}

/// <summary>
/// What the planner decided for one site on one day. Everything here is sealed (it names arms); what a site may
/// see of a shipment is its kit count and kit codes, which carry no arm information.
/// </summary>
/// <param name="DispensableByArm">Kits of each arm that count as stock: dispensable today and still after the lead time.</param>
/// <param name="InTransitByArm">Kits of each arm already on their way, as given.</param>
/// <param name="Unavailable">Kits no longer dispensable today (expired or within the margin), to quarantine and destroy.</param>
/// <param name="KitSets">Whole kit sets to ship (one set = <c>ratio</c> kits of each arm); 0 when no shipment.</param>
/// <param name="ShipmentByArm">Kits of each arm to ship: <c>KitSets × ratio</c>.</param>
/// <param name="PackingOrder">The arm of each kit to ship, in a uniformly random order.</param>
public sealed record ResupplyDecision(
    IReadOnlyDictionary<string, int> DispensableByArm,
    IReadOnlyDictionary<string, int> InTransitByArm,
    IReadOnlyList<StockKit> Unavailable,
    int KitSets,
    IReadOnlyDictionary<string, int> ShipmentByArm,
    IReadOnlyList<string> PackingOrder)
{
    public bool NeedsShipment => KitSets > 0;

    public int ShipmentSize => PackingOrder.Count;
}

/// <summary>
/// Decides whether a site needs a shipment and what goes in it, without the shipment telling the site anything
/// about arms. A shipment is due when any arm's stock (dispensable kits plus kits in transit) is below
/// <c>min × ratio</c>. It then holds k whole kit sets, each set <c>ratio</c> kits of every arm, with k the
/// smallest number that brings every arm up to <c>max × ratio</c>: <c>k = max over arms of ceil((max × ratio −
/// stock) / ratio)</c>. The mix is
/// therefore always the ratio pattern, k is symmetric in the arms, and the trigger fires for whichever arm is
/// low, so neither size, mix nor timing says which arm ran low. Arms that were not low end above the maximum;
/// that is the price of the blind. See README.md in this folder.
/// </summary>
public static class ResupplyPlanner
{
    public const string StreamLabelPrefix = "trialmanager/resupply/v1|";

    /// <summary>The stream that orders shipment <paramref name="shipmentNumber"/> to <paramref name="siteCode"/>.</summary>
    public static SeededStream StreamFor(ReadOnlySpan<byte> seed, string siteCode, int shipmentNumber)
    {
        StratumKey.RequireCode(siteCode, nameof(siteCode));
        ArgumentOutOfRangeException.ThrowIfNegative(shipmentNumber);
        return new SeededStream(seed, $"{StreamLabelPrefix}site|{siteCode}|shipment|{shipmentNumber.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <param name="arms">The arms and their ratio.</param>
    /// <param name="policy">Minimum, maximum, expiry margin and lead time.</param>
    /// <param name="siteStock">The kits on the site's shelf that are not dispensed, lost or destroyed.</param>
    /// <param name="inTransitByArm">Kits already shipped to the site and not yet received; missing arms count as 0.</param>
    /// <param name="today">The site's date.</param>
    /// <param name="stream">Orders the packing list; read only when a shipment is due.</param>
    public static ResupplyDecision Plan(
        IReadOnlyList<ArmRatio> arms,
        ResupplyPolicy policy,
        IReadOnlyList<StockKit> siteStock,
        IReadOnlyDictionary<string, int> inTransitByArm,
        DateOnly today,
        SeededStream stream)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(siteStock);
        ArgumentNullException.ThrowIfNull(inTransitByArm);
        ArgumentNullException.ThrowIfNull(stream);
        if (arms.Count == 0 || arms.Any(a => a.Ratio < 1) || arms.Select(a => a.Code).Distinct(StringComparer.Ordinal).Count() != arms.Count)
        {
            throw new ArgumentException("Arms must be distinct, at least one, each with a ratio of at least 1.", nameof(arms));
        }

        var dispensable = arms.ToDictionary(a => a.Code, _ => 0, StringComparer.Ordinal);
        var unavailable = new List<StockKit>();
        var horizon = today.AddDays(policy.LeadTimeDays);
        foreach (var kit in siteStock)
        {
            if (!dispensable.TryGetValue(kit.ArmCode, out var count))
            {
                throw new ArgumentException($"Kit {kit.KitCode} is of arm {kit.ArmCode}, which the design does not have.", nameof(siteStock));
            }

            if (!policy.IsDispensable(kit.Expiry, today))
            {
                unavailable.Add(kit);
            }
            else if (policy.IsDispensable(kit.Expiry, horizon))
            {
                dispensable[kit.ArmCode] = count + 1;
            }
        }

        var inTransit = arms.ToDictionary(a => a.Code, a => inTransitByArm.GetValueOrDefault(a.Code), StringComparer.Ordinal);
        if (inTransit.Values.Any(v => v < 0))
        {
            throw new ArgumentException("In-transit counts cannot be negative.", nameof(inTransitByArm));
        }

        var kitSets = 0;
        if (arms.Any(a => dispensable[a.Code] + inTransit[a.Code] < policy.MinimumPerArm * a.Ratio))
        {
            kitSets = arms.Max(a =>
            {
                var shortBy = Math.Max(0, policy.MaximumPerArm * a.Ratio - dispensable[a.Code] - inTransit[a.Code]);
                return (shortBy + a.Ratio - 1) / a.Ratio;
            });
        }

        var shipment = arms.ToDictionary(a => a.Code, a => kitSets * a.Ratio, StringComparer.Ordinal);
        var packing = new string[kitSets * arms.Sum(a => a.Ratio)];
        var filled = 0;
        foreach (var arm in arms)
        {
            for (var i = shipment[arm.Code]; i > 0; i--)
            {
                packing[filled++] = arm.Code;
            }
        }

        if (kitSets > 0)
        {
            stream.Shuffle(packing.AsSpan());
        }

        return new ResupplyDecision(dispensable, inTransit, unavailable.AsReadOnly(), kitSets, shipment, packing.AsReadOnly());
    }
}
