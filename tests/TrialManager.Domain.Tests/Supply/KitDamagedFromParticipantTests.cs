using TrialManager.Domain.Supply;

namespace TrialManager.Domain.Tests.Supply;

/// <summary>
/// A kit that comes back damaged from a participant: the units left in it must be counted (like a return), and the
/// units the participant no longer has count as consumed, so the balance still holds.
/// </summary>
public class KitDamagedFromParticipantTests
{
    private const int UnitsPerKit = 10;
    private static readonly DateTimeOffset Noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A ledger with kit D dispensed to P-001, and kit S still on the shelf.</summary>
    private static KitLedger DispensedLedger()
    {
        var ledger = new KitLedger(UnitsPerKit);
        foreach (var kit in new[] { "D", "S" })
        {
            Assert.True(ledger.Apply(new KitShipped(kit)).IsAccepted);
            Assert.True(ledger.Apply(new KitReceived(kit, UnitsPerKit)).IsAccepted);
        }

        Assert.True(ledger.Apply(new KitDispensed("D", "P-001", "nurse.a", Noon)).IsAccepted);
        return ledger;
    }

    private static void AssertRefused(KitLedger ledger, KitEvent e, LedgerIssue issue)
    {
        var before = ledger.Balance;
        var state = ledger.StateOf(e.KitCode);
        var units = ledger.Find(e.KitCode)?.Units;

        var result = ledger.Apply(e);

        Assert.False(result.IsAccepted);
        Assert.Equal(issue, result.Issue);
        Assert.Contains(e.KitCode, result.Message, StringComparison.Ordinal);
        Assert.Equal(before, ledger.Balance);
        Assert.Equal(state, ledger.StateOf(e.KitCode));
        Assert.Equal(units, ledger.Find(e.KitCode)?.Units);
    }

    [Fact]
    public void The_units_left_must_be_counted()
    {
        var ledger = DispensedLedger();

        AssertRefused(ledger, new KitDamaged("D"), LedgerIssue.IncompleteEvent);

        Assert.Equal(KitState.Dispensed, ledger.StateOf("D"));
        Assert.Contains("count the units", ledger.Refusals.Single().Result.Message, StringComparison.Ordinal);
        var report = ledger.Reconcile();
        Assert.True(report.Balance.Holds);
        Assert.Equal([LedgerIssue.IncompleteEvent], report.Discrepancies.Select(d => d.Issue));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void A_count_below_zero_or_above_what_was_dispensed_is_refused(int counted)
    {
        var ledger = DispensedLedger();

        AssertRefused(ledger, new KitDamaged("D", counted), LedgerIssue.ReturnedTooManyUnits);

        Assert.Equal(new UnitBalance(Received: 20, OnSite: 10, WithParticipants: 10, Consumed: 0, Destroyed: 0, Lost: 0), ledger.Balance);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(10)]
    public void Counted_units_come_back_into_custody_and_the_rest_count_as_consumed(int counted)
    {
        var ledger = DispensedLedger();

        var result = ledger.Apply(new KitDamaged("D", counted));

        Assert.True(result.IsAccepted, result.Message);
        Assert.Equal(new KitRecord("D", KitState.Damaged, counted, "P-001"), ledger.Find("D"));
        Assert.Equal(
            new UnitBalance(Received: 20, OnSite: 10 + counted, WithParticipants: 0, Consumed: 10 - counted, Destroyed: 0, Lost: 0),
            ledger.Balance);
        Assert.True(ledger.Balance.Holds);
        Assert.True(ledger.Reconcile(new Dictionary<string, int> { ["D"] = counted, ["S"] = UnitsPerKit }).IsReconciled);

        // A physical count that finds a different number in the damaged kit is reported.
        var recount = ledger.Reconcile(new Dictionary<string, int> { ["D"] = counted + 1, ["S"] = UnitsPerKit });
        Assert.Equal(LedgerIssue.CountMismatch, Assert.Single(recount.Discrepancies).Issue);
    }

    [Fact]
    public void A_damaged_kit_cannot_go_back_to_a_participant_or_be_returned_and_is_destroyed_with_its_counted_units()
    {
        var ledger = DispensedLedger();
        Assert.True(ledger.Apply(new KitDamaged("D", 3)).IsAccepted);

        AssertRefused(ledger, new KitDispensed("D", "P-002", "nurse.a", Noon), LedgerIssue.NotDispensable);
        AssertRefused(ledger, new KitReturned("D", 3), LedgerIssue.InvalidTransition);
        AssertRefused(ledger, new KitDamaged("D", 3), LedgerIssue.InvalidTransition);
        AssertRefused(ledger, new KitReleased("D"), LedgerIssue.InvalidTransition);
        AssertRefused(ledger, new KitDestroyed("D", "pharmacist.b", "pharmacist.b"), LedgerIssue.InvalidWitnesses);

        Assert.True(ledger.Apply(new KitDestroyed("D", "pharmacist.b", "monitor.c")).IsAccepted);

        Assert.Equal(new UnitBalance(Received: 20, OnSite: 10, WithParticipants: 0, Consumed: 7, Destroyed: 3, Lost: 0), ledger.Balance);
        Assert.True(ledger.Balance.Holds);
        Assert.Equal(5, ledger.Reconcile().Discrepancies.Count);
    }

    [Fact]
    public void A_damaged_kit_that_is_then_lost_loses_its_counted_units()
    {
        var ledger = DispensedLedger();
        Assert.True(ledger.Apply(new KitDamaged("D", 6)).IsAccepted);

        Assert.True(ledger.Apply(new KitLost("D")).IsAccepted);

        Assert.Equal(new UnitBalance(Received: 20, OnSite: 10, WithParticipants: 0, Consumed: 4, Destroyed: 0, Lost: 6), ledger.Balance);
        Assert.True(ledger.Reconcile().IsReconciled);
    }

    [Fact]
    public void A_shelf_kit_found_damaged_keeps_its_units_without_a_count()
    {
        var ledger = DispensedLedger();

        Assert.True(ledger.Apply(new KitDamaged("S")).IsAccepted);

        Assert.Equal(new KitRecord("S", KitState.Damaged, UnitsPerKit, null), ledger.Find("S"));
        Assert.Equal(new UnitBalance(Received: 20, OnSite: 10, WithParticipants: 10, Consumed: 0, Destroyed: 0, Lost: 0), ledger.Balance);
        Assert.True(ledger.Reconcile().IsReconciled);
    }

    [Fact]
    public void A_returned_kit_cannot_be_marked_damaged_afterwards()
    {
        var ledger = DispensedLedger();
        Assert.True(ledger.Apply(new KitReturned("D", 2)).IsAccepted);

        AssertRefused(ledger, new KitDamaged("D", 1), LedgerIssue.InvalidTransition);
        AssertRefused(ledger, new KitDamaged("D"), LedgerIssue.InvalidTransition);
    }

    [Fact]
    public void Replaying_a_history_with_a_damaged_return_gives_the_same_balance()
    {
        var live = DispensedLedger();
        live.Apply(new KitDamaged("D", 4));
        live.Apply(new KitDispensed("S", "P-001", "nurse.a", Noon));
        live.Apply(new KitReturned("S", 9));

        var replayed = KitLedger.Replay(UnitsPerKit, live.Events);

        Assert.Equal(live.Balance, replayed.Balance);
        Assert.Equal(new UnitBalance(Received: 20, OnSite: 13, WithParticipants: 0, Consumed: 7, Destroyed: 0, Lost: 0), replayed.Balance);
        Assert.True(replayed.Reconcile().IsReconciled);
    }
}
