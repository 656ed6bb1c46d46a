namespace TrialManager.Domain.Supply;

/// <summary>Where a kit is in its life. Every kit a site ledger has not heard of is <see cref="AtDepot"/>.</summary>
public enum KitState
{
    AtDepot,
    InTransit,

    /// <summary>On the site's shelf, released and dispensable.</summary>
    AtSite,

    /// <summary>On site but held back (e.g. temperature excursion, near expiry); not dispensable until released.</summary>
    Quarantined,

    Dispensed,

    /// <summary>Back from the participant with the units counted; awaits destruction.</summary>
    Returned,

    Lost,
    Damaged,
    Expired,
    Destroyed,
}

/// <summary>Something that happened to one kit at a site. Events are applied in the order they are recorded.</summary>
public abstract record KitEvent(string KitCode);

/// <summary>The depot sent the kit to this site.</summary>
public sealed record KitShipped(string KitCode) : KitEvent(KitCode);

/// <summary>The site received the kit and counted <paramref name="Units"/> in it.</summary>
public sealed record KitReceived(string KitCode, int Units) : KitEvent(KitCode);

public sealed record KitQuarantined(string KitCode, string Reason) : KitEvent(KitCode);

public sealed record KitReleased(string KitCode) : KitEvent(KitCode);

public sealed record KitDispensed(string KitCode, string ParticipantId, string By, DateTimeOffset At) : KitEvent(KitCode);

/// <summary>The participant brought the kit back with <paramref name="UnitsCounted"/> units left in it.</summary>
public sealed record KitReturned(string KitCode, int UnitsCounted) : KitEvent(KitCode);

public sealed record KitLost(string KitCode) : KitEvent(KitCode);

/// <summary>
/// The kit is damaged. On site it keeps its units. A participant's damaged kit comes back to the site with
/// <paramref name="UnitsCounted"/> units still in it (required then; the rest count as consumed, as on return).
/// </summary>
public sealed record KitDamaged(string KitCode, int? UnitsCounted = null) : KitEvent(KitCode);

public sealed record KitExpired(string KitCode) : KitEvent(KitCode);

/// <summary>The kit and what is left in it were destroyed, witnessed by two different people.</summary>
public sealed record KitDestroyed(string KitCode, string? Witness1, string? Witness2) : KitEvent(KitCode);

/// <summary>Why an event was refused, or what reconciliation found.</summary>
public enum LedgerIssue
{
    /// <summary>A required field (kit code, participant, dispenser) is empty.</summary>
    IncompleteEvent,

    /// <summary>The event is about a kit this site never shipped or received.</summary>
    UnknownKit,

    ShippedTwice,
    ReceivedTwice,
    DispensedTwice,

    /// <summary>Dispensing a kit that is on site but quarantined, damaged or expired.</summary>
    NotDispensable,

    ReturnedWithoutDispense,
    ReturnedTwice,

    /// <summary>More units returned than were dispensed in the kit, or a negative count.</summary>
    ReturnedTooManyUnits,

    /// <summary>A count of received units that is not positive.</summary>
    InvalidUnits,

    DestroyedTwice,

    /// <summary>A destruction without two named, different witnesses.</summary>
    InvalidWitnesses,

    /// <summary>Any other move the kit's state does not allow (e.g. destroying a dispensed kit).</summary>
    InvalidTransition,

    /// <summary>Reconciliation: a kit arrived with a unit count other than the protocol's units per kit.</summary>
    ReceiptCountMismatch,

    /// <summary>Reconciliation: a physical count differs from what the ledger says is on site.</summary>
    CountMismatch,

    /// <summary>Reconciliation: the unit equation does not hold (a defect in the ledger itself).</summary>
    BalanceMismatch,
}

/// <summary>The outcome of recording one event: accepted, or refused with the reason.</summary>
public sealed record LedgerResult(LedgerIssue? Issue, string Message)
{
    public static readonly LedgerResult Accepted = new(null, "Accepted.");

    public bool IsAccepted => Issue is null;

    public static LedgerResult Refused(LedgerIssue issue, string message) => new(issue, message);
}

/// <summary>One finding of <see cref="KitLedger.Reconcile"/>; <see cref="KitCode"/> is null for site-wide findings.</summary>
public sealed record Discrepancy(LedgerIssue Issue, string? KitCode, string Description);

/// <summary>
/// Units by where they went. The ledger equation is
/// <c>Received = OnSite + WithParticipants + Consumed + Destroyed + Lost</c>.
/// </summary>
/// <param name="Received">Units counted into the site on receipt.</param>
/// <param name="OnSite">Units in the site's custody: kits at site, quarantined, damaged, expired, and returned kits (their counted units).</param>
/// <param name="WithParticipants">Units in kits dispensed and not yet returned or lost.</param>
/// <param name="Consumed">For returned kits, units dispensed minus units counted back (taken, or unaccounted by the participant).</param>
/// <param name="Destroyed">Units in kits when they were destroyed.</param>
/// <param name="Lost">Units in kits when they were lost, on site or by a participant.</param>
public sealed record UnitBalance(int Received, int OnSite, int WithParticipants, int Consumed, int Destroyed, int Lost)
{
    public bool Holds => Received == OnSite + WithParticipants + Consumed + Destroyed + Lost;
}

/// <summary>The result of a reconciliation: the unit balance and every discrepancy found.</summary>
public sealed record ReconciliationReport(UnitBalance Balance, IReadOnlyList<Discrepancy> Discrepancies)
{
    public bool IsReconciled => Discrepancies.Count == 0;
}
