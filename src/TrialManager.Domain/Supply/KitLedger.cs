namespace TrialManager.Domain.Supply;

/// <summary>One kit's current record in a site ledger.</summary>
/// <param name="Units">Units the kit holds now: as received, as dispensed, or as counted back on return; 0 once it has left.</param>
/// <param name="ParticipantId">Who it was dispensed to, if it was.</param>
public sealed record KitRecord(string KitCode, KitState State, int Units, string? ParticipantId);

/// <summary>
/// The drug accountability ledger of one site. Events are applied one at a time; an event the kit's state does
/// not allow is refused with a <see cref="LedgerResult"/> (never an exception) and leaves the ledger unchanged,
/// but is kept in <see cref="Refusals"/> so <see cref="Reconcile"/> reports it: a refused scan is still
/// something that happened at the site and a monitor must look at.
/// <para>
/// Units are tracked as a running balance and must satisfy
/// <c>Received = OnSite + WithParticipants + Consumed + Destroyed + Lost</c> (see <see cref="UnitBalance"/>).
/// </para>
/// </summary>
public sealed class KitLedger
{
    private readonly Dictionary<string, KitRecord> _kits = new(StringComparer.Ordinal);
    private readonly List<KitEvent> _events = [];
    private readonly List<(KitEvent Event, LedgerResult Result)> _refusals = [];
    private readonly List<Discrepancy> _receiptMismatches = [];
    private int _received;
    private int _onSite;
    private int _withParticipants;
    private int _consumed;
    private int _destroyed;
    private int _lost;

    /// <param name="unitsPerKit">The protocol's units per kit, against which receipts are checked.</param>
    public KitLedger(int unitsPerKit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(unitsPerKit, 1);
        UnitsPerKit = unitsPerKit;
    }

    public int UnitsPerKit { get; }

    /// <summary>Accepted events, in order.</summary>
    public IReadOnlyList<KitEvent> Events => _events;

    /// <summary>Refused events with the reason, in order.</summary>
    public IReadOnlyList<(KitEvent Event, LedgerResult Result)> Refusals => _refusals;

    /// <summary>The running balance of units in the site's custody.</summary>
    public int UnitsOnSite => _onSite;

    public UnitBalance Balance => new(_received, _onSite, _withParticipants, _consumed, _destroyed, _lost);

    public IEnumerable<KitRecord> Kits => _kits.Values;

    /// <summary>A ledger rebuilt from a stored event history; refusals are kept as for live events.</summary>
    public static KitLedger Replay(int unitsPerKit, IEnumerable<KitEvent> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var ledger = new KitLedger(unitsPerKit);
        foreach (var e in history)
        {
            ledger.Apply(e);
        }

        return ledger;
    }

    public KitState StateOf(string kitCode) => _kits.TryGetValue(kitCode, out var kit) ? kit.State : KitState.AtDepot;

    public KitRecord? Find(string kitCode) => _kits.GetValueOrDefault(kitCode);

    public LedgerResult Apply(KitEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var result = string.IsNullOrWhiteSpace(e.KitCode)
            ? LedgerResult.Refused(LedgerIssue.IncompleteEvent, "The event has no kit code.")
            : ApplyTo(e, _kits.GetValueOrDefault(e.KitCode) ?? new KitRecord(e.KitCode, KitState.AtDepot, 0, null));
        if (result.IsAccepted)
        {
            _events.Add(e);
        }
        else
        {
            _refusals.Add((e, result));
        }

        return result;
    }

    /// <summary>
    /// Every discrepancy: each refused event, each receipt whose count was not the protocol's units per kit, a
    /// unit equation that does not hold or a running balance that differs from the kits' own records, and, when
    /// a physical count of the site's custody (kit code → units) is given, every kit whose count differs.
    /// </summary>
    public ReconciliationReport Reconcile(IReadOnlyDictionary<string, int>? physicalCount = null)
    {
        var found = new List<Discrepancy>();
        found.AddRange(_refusals.Select(r => new Discrepancy(r.Result.Issue!.Value, r.Event.KitCode, r.Result.Message)));
        found.AddRange(_receiptMismatches);
        var balance = Balance;
        var inCustody = _kits.Values.Where(k => IsInCustody(k.State)).ToList();
        var fromRecords = inCustody.Sum(k => k.Units);
        if (!balance.Holds || fromRecords != _onSite)
        {
            found.Add(new Discrepancy(
                LedgerIssue.BalanceMismatch,
                null,
                $"Received {balance.Received} ≠ on site {balance.OnSite} + with participants {balance.WithParticipants} + consumed {balance.Consumed} + destroyed {balance.Destroyed} + lost {balance.Lost}, or kit records hold {fromRecords} on site."));
        }

        if (physicalCount is not null)
        {
            foreach (var kit in inCustody.OrderBy(k => k.KitCode, StringComparer.Ordinal))
            {
                if (!physicalCount.TryGetValue(kit.KitCode, out var counted))
                {
                    found.Add(new Discrepancy(LedgerIssue.CountMismatch, kit.KitCode, $"Kit {kit.KitCode} ({kit.State}, {kit.Units} units) was not found in the count."));
                }
                else if (counted != kit.Units)
                {
                    found.Add(new Discrepancy(LedgerIssue.CountMismatch, kit.KitCode, $"Kit {kit.KitCode}: counted {counted} units, the ledger has {kit.Units}."));
                }
            }

            foreach (var code in physicalCount.Keys.Where(c => !_kits.TryGetValue(c, out var k) || !IsInCustody(k.State)).Order(StringComparer.Ordinal))
            {
                found.Add(new Discrepancy(LedgerIssue.CountMismatch, code, $"Kit {code} was counted on site, but the ledger has it as {StateOf(code)}."));
            }
        }

        return new ReconciliationReport(balance, found.AsReadOnly());
    }

    /// <summary>States from which a kit may be destroyed: never a dispensable kit (quarantine it first) or one with a participant.</summary>
    public static bool IsDestroyable(KitState state) =>
        state is KitState.Quarantined or KitState.Returned or KitState.Damaged or KitState.Expired;

    /// <summary>States in which the kit and its units are in the site's hands (not with a participant, not gone).</summary>
    public static bool IsInCustody(KitState state) =>
        state is KitState.AtSite or KitState.Quarantined or KitState.Returned or KitState.Damaged or KitState.Expired;

    private LedgerResult ApplyTo(KitEvent e, KitRecord kit)
    {
        var code = kit.KitCode;
        var state = kit.State;
        switch (e)
        {
            case KitShipped:
                return state == KitState.AtDepot
                    ? Move(kit with { State = KitState.InTransit })
                    : Refuse(LedgerIssue.ShippedTwice, $"Kit {code} was already shipped; it is {state}.");

            case KitReceived received:
                if (received.Units < 1)
                {
                    return Refuse(LedgerIssue.InvalidUnits, $"Kit {code}: a received kit holds at least one unit, not {received.Units}.");
                }

                // A receipt without a recorded shipment is allowed: the depot's shipping record may live elsewhere.
                if (state is not (KitState.AtDepot or KitState.InTransit))
                {
                    return Refuse(LedgerIssue.ReceivedTwice, $"Kit {code} was already received; it is {state}.");
                }

                if (received.Units != UnitsPerKit)
                {
                    _receiptMismatches.Add(new Discrepancy(LedgerIssue.ReceiptCountMismatch, code, $"Kit {code} arrived with {received.Units} units; a kit holds {UnitsPerKit}."));
                }

                _received += received.Units;
                _onSite += received.Units;
                return Move(kit with { State = KitState.AtSite, Units = received.Units });

            case KitQuarantined:
                return state == KitState.AtSite
                    ? Move(kit with { State = KitState.Quarantined })
                    : Unexpected(kit, "quarantined");

            case KitReleased:
                return state == KitState.Quarantined
                    ? Move(kit with { State = KitState.AtSite })
                    : Unexpected(kit, "released from quarantine");

            case KitDispensed dispensed:
                if (string.IsNullOrWhiteSpace(dispensed.ParticipantId) || string.IsNullOrWhiteSpace(dispensed.By))
                {
                    return Refuse(LedgerIssue.IncompleteEvent, $"Kit {code}: a dispensing names the participant and who dispensed.");
                }

                switch (state)
                {
                    case KitState.AtSite:
                        _onSite -= kit.Units;
                        _withParticipants += kit.Units;
                        return Move(kit with { State = KitState.Dispensed, ParticipantId = dispensed.ParticipantId });
                    case KitState.Quarantined or KitState.Damaged or KitState.Expired:
                        return Refuse(LedgerIssue.NotDispensable, $"Kit {code} is {state} and cannot be dispensed.");
                    case KitState.Dispensed or KitState.Returned:
                        return Refuse(LedgerIssue.DispensedTwice, $"Kit {code} was already dispensed to {kit.ParticipantId}.");
                    default:
                        return Unexpected(kit, "dispensed");
                }

            case KitReturned returned:
                if (state == KitState.Returned)
                {
                    return Refuse(LedgerIssue.ReturnedTwice, $"Kit {code} was already returned.");
                }

                if (state != KitState.Dispensed)
                {
                    return kit.ParticipantId is null
                        ? Refuse(LedgerIssue.ReturnedWithoutDispense, $"Kit {code} was never dispensed; it is {state}.")
                        : Unexpected(kit, "returned");
                }

                if (returned.UnitsCounted < 0 || returned.UnitsCounted > kit.Units)
                {
                    return Refuse(LedgerIssue.ReturnedTooManyUnits, $"Kit {code}: {returned.UnitsCounted} units returned, but it held {kit.Units} when dispensed.");
                }

                _withParticipants -= kit.Units;
                _consumed += kit.Units - returned.UnitsCounted;
                _onSite += returned.UnitsCounted;
                return Move(kit with { State = KitState.Returned, Units = returned.UnitsCounted });

            case KitLost:
                if (state is KitState.AtDepot or KitState.Lost or KitState.Destroyed)
                {
                    return Unexpected(kit, "lost");
                }

                // Lost in transit: never received, so never counted in.
                if (state == KitState.Dispensed)
                {
                    _withParticipants -= kit.Units;
                    _lost += kit.Units;
                }
                else if (IsInCustody(state))
                {
                    _onSite -= kit.Units;
                    _lost += kit.Units;
                }

                return Move(kit with { State = KitState.Lost, Units = 0 });

            case KitDamaged damaged:
                if (state == KitState.Dispensed)
                {
                    if (damaged.UnitsCounted is not { } counted)
                    {
                        return Refuse(LedgerIssue.IncompleteEvent, $"Kit {code} comes back damaged from a participant: count the units left in it.");
                    }

                    if (counted < 0 || counted > kit.Units)
                    {
                        return Refuse(LedgerIssue.ReturnedTooManyUnits, $"Kit {code}: {counted} units counted, but it held {kit.Units} when dispensed.");
                    }

                    _withParticipants -= kit.Units;
                    _consumed += kit.Units - counted;
                    _onSite += counted;
                    return Move(kit with { State = KitState.Damaged, Units = counted });
                }

                return state is KitState.AtSite or KitState.Quarantined
                    ? Move(kit with { State = KitState.Damaged })
                    : Unexpected(kit, "marked damaged");

            case KitExpired:
                return state is KitState.AtSite or KitState.Quarantined
                    ? Move(kit with { State = KitState.Expired })
                    : Unexpected(kit, "marked expired");

            case KitDestroyed destroyed:
                var w1 = destroyed.Witness1?.Trim();
                var w2 = destroyed.Witness2?.Trim();
                if (string.IsNullOrEmpty(w1) || string.IsNullOrEmpty(w2))
                {
                    return Refuse(LedgerIssue.InvalidWitnesses, $"Kit {code}: destruction needs two witnesses; one is missing.");
                }

                if (string.Equals(w1, w2, StringComparison.OrdinalIgnoreCase))
                {
                    return Refuse(LedgerIssue.InvalidWitnesses, $"Kit {code}: destruction needs two different witnesses, not {w1} twice.");
                }

                if (state == KitState.Destroyed)
                {
                    return Refuse(LedgerIssue.DestroyedTwice, $"Kit {code} was already destroyed.");
                }

                // A dispensable kit must be quarantined first, so destruction is always a deliberate two-step.
                if (!IsDestroyable(state))
                {
                    return Unexpected(kit, "destroyed");
                }

                _onSite -= kit.Units;
                _destroyed += kit.Units;
                return Move(kit with { State = KitState.Destroyed, Units = 0 });

            default:
                throw new ArgumentException($"Unknown event type {e.GetType().Name}.", nameof(e));
        }
    }

    private LedgerResult Move(KitRecord updated)
    {
        _kits[updated.KitCode] = updated;
        return LedgerResult.Accepted;
    }

    private static LedgerResult Refuse(LedgerIssue issue, string message) => LedgerResult.Refused(issue, message);

    private static LedgerResult Unexpected(KitRecord kit, string action) =>
        kit.State == KitState.AtDepot
            ? Refuse(LedgerIssue.UnknownKit, $"Kit {kit.KitCode} cannot be {action}: this site never shipped or received it.")
            : Refuse(LedgerIssue.InvalidTransition, $"Kit {kit.KitCode} cannot be {action}: it is {kit.State}.");
}
