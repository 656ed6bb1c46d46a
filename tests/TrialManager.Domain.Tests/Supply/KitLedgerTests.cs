using TrialManager.Domain.Supply;

namespace TrialManager.Domain.Tests.Supply;

public class KitLedgerTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static KitLedger LedgerWith(params string[] kits)
    {
        var ledger = new KitLedger(10);
        foreach (var kit in kits)
        {
            Assert.True(ledger.Apply(new KitShipped(kit)).IsAccepted);
            Assert.True(ledger.Apply(new KitReceived(kit, 10)).IsAccepted);
        }

        return ledger;
    }

    private static KitDispensed Dispense(string kit, string participant = "P-001") => new(kit, participant, "nurse.a", Noon);

    private static void AssertRefused(KitLedger ledger, KitEvent e, LedgerIssue issue)
    {
        var before = ledger.Balance;
        var result = ledger.Apply(e);
        Assert.False(result.IsAccepted);
        Assert.Equal(issue, result.Issue);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
        Assert.Equal(before, ledger.Balance);
    }

    [Fact]
    public void A_kit_goes_from_depot_to_destruction_and_every_unit_is_accounted_for()
    {
        var ledger = new KitLedger(10);
        Assert.Equal(KitState.AtDepot, ledger.StateOf("K1"));

        Assert.True(ledger.Apply(new KitShipped("K1")).IsAccepted);
        Assert.Equal(KitState.InTransit, ledger.StateOf("K1"));
        Assert.True(ledger.Apply(new KitReceived("K1", 10)).IsAccepted);
        Assert.Equal(KitState.AtSite, ledger.StateOf("K1"));
        Assert.Equal(10, ledger.UnitsOnSite);

        Assert.True(ledger.Apply(Dispense("K1")).IsAccepted);
        Assert.Equal(KitState.Dispensed, ledger.StateOf("K1"));
        Assert.Equal(0, ledger.UnitsOnSite);
        Assert.Equal("P-001", ledger.Find("K1")!.ParticipantId);

        Assert.True(ledger.Apply(new KitReturned("K1", 3)).IsAccepted);
        Assert.Equal(3, ledger.UnitsOnSite);
        Assert.True(ledger.Apply(new KitDestroyed("K1", "pharmacist.b", "monitor.c")).IsAccepted);
        Assert.Equal(KitState.Destroyed, ledger.StateOf("K1"));

        Assert.Equal(new UnitBalance(Received: 10, OnSite: 0, WithParticipants: 0, Consumed: 7, Destroyed: 3, Lost: 0), ledger.Balance);
        Assert.True(ledger.Reconcile().IsReconciled);
        Assert.Equal(5, ledger.Events.Count);
    }

    [Fact]
    public void Quarantine_release_damage_expiry_and_loss_move_units_as_documented()
    {
        var ledger = LedgerWith("Q", "D", "E", "L", "P");
        Assert.True(ledger.Apply(new KitQuarantined("Q", "temperature excursion")).IsAccepted);
        AssertRefused(ledger, Dispense("Q"), LedgerIssue.NotDispensable);
        Assert.True(ledger.Apply(new KitReleased("Q")).IsAccepted);
        Assert.True(ledger.Apply(Dispense("Q")).IsAccepted);

        Assert.True(ledger.Apply(new KitDamaged("D")).IsAccepted);
        AssertRefused(ledger, Dispense("D"), LedgerIssue.NotDispensable);
        Assert.True(ledger.Apply(new KitExpired("E")).IsAccepted);
        AssertRefused(ledger, Dispense("E"), LedgerIssue.NotDispensable);
        Assert.True(ledger.Apply(new KitLost("L")).IsAccepted);
        Assert.True(ledger.Apply(Dispense("P", "P-002")).IsAccepted);
        Assert.True(ledger.Apply(new KitLost("P")).IsAccepted);

        // 50 received: Q with a participant, D and E on site, L lost from the shelf, P lost by the participant.
        Assert.Equal(new UnitBalance(50, 20, 10, 0, 0, 20), ledger.Balance);
        Assert.True(ledger.Balance.Holds);

        // The refused attempts stay on record for the monitor.
        Assert.Equal([LedgerIssue.NotDispensable, LedgerIssue.NotDispensable, LedgerIssue.NotDispensable], ledger.Reconcile().Discrepancies.Select(d => d.Issue));
    }

    [Fact]
    public void A_kit_lost_in_transit_never_counts_as_received()
    {
        var ledger = new KitLedger(10);
        ledger.Apply(new KitShipped("T"));
        Assert.True(ledger.Apply(new KitLost("T")).IsAccepted);

        Assert.Equal(new UnitBalance(0, 0, 0, 0, 0, 0), ledger.Balance);
        AssertRefused(ledger, new KitReceived("T", 10), LedgerIssue.ReceivedTwice);
    }

    [Theory]
    [InlineData(null, "monitor.c")]
    [InlineData("pharmacist.b", null)]
    [InlineData("pharmacist.b", "  ")]
    [InlineData("pharmacist.b", "pharmacist.b")]
    [InlineData("pharmacist.b", " Pharmacist.B ")]
    public void Destruction_needs_two_named_different_witnesses(string? first, string? second)
    {
        var ledger = LedgerWith("X");
        ledger.Apply(new KitExpired("X"));

        AssertRefused(ledger, new KitDestroyed("X", first, second), LedgerIssue.InvalidWitnesses);
        Assert.Equal(KitState.Expired, ledger.StateOf("X"));
        Assert.True(ledger.Apply(new KitDestroyed("X", "pharmacist.b", "monitor.c")).IsAccepted);
    }

    [Fact]
    public void Every_misuse_is_refused_with_its_own_issue_and_reported_by_reconciliation()
    {
        var ledger = LedgerWith("A", "B", "C", "D");
        ledger.Apply(Dispense("A"));
        ledger.Apply(new KitReturned("A", 2));
        ledger.Apply(new KitDestroyed("A", "w1", "w2"));
        ledger.Apply(Dispense("B"));

        AssertRefused(ledger, new KitShipped("C"), LedgerIssue.ShippedTwice);
        AssertRefused(ledger, new KitReceived("C", 10), LedgerIssue.ReceivedTwice);
        AssertRefused(ledger, new KitReceived("NEW", 0), LedgerIssue.InvalidUnits);
        AssertRefused(ledger, Dispense("B", "P-009"), LedgerIssue.DispensedTwice);
        AssertRefused(ledger, new KitReturned("C", 1), LedgerIssue.ReturnedWithoutDispense);
        AssertRefused(ledger, new KitReturned("B", 11), LedgerIssue.ReturnedTooManyUnits);
        AssertRefused(ledger, new KitReturned("B", -1), LedgerIssue.ReturnedTooManyUnits);
        AssertRefused(ledger, new KitDestroyed("A", "w1", "w2"), LedgerIssue.DestroyedTwice);
        AssertRefused(ledger, new KitDestroyed("C", "w1", "w2"), LedgerIssue.InvalidTransition);
        AssertRefused(ledger, new KitDestroyed("B", "w1", "w2"), LedgerIssue.InvalidTransition);
        AssertRefused(ledger, Dispense("NOPE"), LedgerIssue.UnknownKit);
        AssertRefused(ledger, new KitDispensed("D", "", "nurse.a", Noon), LedgerIssue.IncompleteEvent);
        AssertRefused(ledger, new KitReleased("D"), LedgerIssue.InvalidTransition);
        ledger.Apply(new KitReturned("B", 4));
        AssertRefused(ledger, new KitReturned("B", 4), LedgerIssue.ReturnedTwice);
        Assert.True(ledger.Apply(new KitReceived("SHORT", 9)).IsAccepted);

        var report = ledger.Reconcile();

        Assert.False(report.IsReconciled);
        Assert.True(report.Balance.Holds);
        Assert.Equal(ledger.Refusals.Count + 1, report.Discrepancies.Count);
        Assert.Contains(report.Discrepancies, d => d.Issue == LedgerIssue.ReceiptCountMismatch && d.KitCode == "SHORT");
        foreach (var issue in new[] { LedgerIssue.DispensedTwice, LedgerIssue.ReturnedWithoutDispense, LedgerIssue.ReturnedTooManyUnits, LedgerIssue.DestroyedTwice })
        {
            Assert.Contains(report.Discrepancies, d => d.Issue == issue);
        }
    }

    [Fact]
    public void A_physical_count_is_checked_kit_by_kit()
    {
        var ledger = LedgerWith("A", "B", "C");
        ledger.Apply(Dispense("C"));
        var count = new Dictionary<string, int> { ["A"] = 10, ["B"] = 8, ["C"] = 10, ["Z"] = 10 };

        var report = ledger.Reconcile(count);

        Assert.Equal(["B", "C", "Z"], report.Discrepancies.Select(d => d.KitCode));
        Assert.All(report.Discrepancies, d => Assert.Equal(LedgerIssue.CountMismatch, d.Issue));
        Assert.True(ledger.Reconcile(new Dictionary<string, int> { ["A"] = 10, ["B"] = 10 }).IsReconciled);
    }

    [Fact]
    public void Replaying_a_stored_history_reports_what_was_wrong_with_it()
    {
        KitEvent[] history =
        [
            new KitReceived("A", 10),
            Dispense("A", "P-001"),
            Dispense("A", "P-002"),
            new KitReturned("A", 12),
            new KitReturned("A", 5),
            new KitDestroyed("A", "w1", "w2"),
            new KitDestroyed("A", "w1", "w3"),
        ];

        var report = KitLedger.Replay(10, history).Reconcile();

        Assert.Equal(
            [LedgerIssue.DispensedTwice, LedgerIssue.ReturnedTooManyUnits, LedgerIssue.DestroyedTwice],
            report.Discrepancies.Select(d => d.Issue));
        Assert.Equal(new UnitBalance(10, 0, 0, 5, 5, 0), report.Balance);
    }
}
