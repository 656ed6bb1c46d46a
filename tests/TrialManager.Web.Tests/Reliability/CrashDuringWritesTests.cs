using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Participants;
using TrialManager.Web.Tests.Safety;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// The app process killed (SIGKILL) while kits are being dispensed and while visits are being signed, through the
/// pages of a real process: each write is all there or not there at all (record, kit, ledger, audit entry), the audit
/// chain verifies, and a restarted app completes the rest. Randomization has the same test in Randomization/CrashTests.
/// </summary>
public class CrashDuringWritesTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>
{
    private const string DispensingVisit = "W3";

    [Fact]
    public async Task A_kill_while_dispensing_leaves_each_kit_dispensed_wholly_or_not_at_all()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "CRASH-DISPENSE", kitsPerSite: 90, slotsPerStratum: 60);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 36);
        foreach (var id in ids)
        {
            var randomized = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(randomized.Succeeded, SafetyScenario.Describe(randomized.Outcome));
        }

        var confirmed = await KillDuring.WritesAsync(app, "coordinator", ids, DispenseThroughPageAsync, killAfter: 8);
        var dispensed = await AssertDispensingWholeAsync(trial, ids);
        output.WriteLine($"dispensed before the kill: {confirmed} seen by clients, {dispensed} in the database, of {ids.Count}");
        Assert.True(dispensed >= confirmed && dispensed < ids.Count, $"{dispensed} dispensed, {confirmed} confirmed");

        await KillDuring.RetryAllAsync(app, "coordinator", ids, DispenseThroughPageAsync);
        Assert.Equal(ids.Count, await AssertDispensingWholeAsync(trial, ids));
    }

    [Fact]
    public async Task A_kill_while_signing_leaves_each_signature_wholly_there_or_not_at_all()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "CRASH-SIGN", kitsPerSite: 8, slotsPerStratum: 8);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", 24);
        foreach (var id in ids)
        {
            foreach (var formCode in trial.Protocol.ScreeningVisit.Forms)
            {
                var form = trial.Protocol.FindForm(formCode)!;
                var values = form.Fields.ToDictionary(f => f.Code, f => (string?)SignatureTests.ValidValue(f));
                var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, trial.Protocol.ScreeningVisit.Code, formCode, values, true, null)));
                Assert.True(saved.Succeeded, SafetyScenario.Describe(saved.Outcome));
            }
        }

        var visit = trial.Protocol.ScreeningVisit.Code;
        Task<bool> SignAsync(TestBrowser browser, Guid id) => SignThroughPageAsync(browser, id, visit);
        var confirmed = await KillDuring.WritesAsync(app, "investigator", ids, SignAsync, killAfter: 4);
        var signed = await AssertSignaturesWholeAsync(trial, ids);
        output.WriteLine($"signed before the kill: {confirmed} seen by clients, {signed.Count} in the database, of {ids.Count}");
        Assert.True(signed.Count >= confirmed && signed.Count < ids.Count, $"{signed.Count} signed, {confirmed} confirmed");

        await KillDuring.RetryAllAsync(app, "investigator", ids.Where(id => !signed.Contains(id)), SignAsync);
        Assert.Equal(ids.Count, (await AssertSignaturesWholeAsync(trial, ids)).Count);
    }

    /// <summary>Dispenses the W3 kit through the participant page; true when the page then lists a W3 kit.</summary>
    private static async Task<bool> DispenseThroughPageAsync(TestBrowser browser, Guid participantId)
    {
        var page = await browser.GetAsync($"/participants/{participantId}");
        if (HasVisitKit(page))
        {
            return true;
        }

        var done = await browser.SubmitAsync(page, "dispense", ("DispenseInput.VisitCode", DispensingVisit));
        return HasVisitKit(done);
    }

    private static bool HasVisitKit(Page page) =>
        page.Document.QuerySelectorAll("[data-testid=kits] tbody tr").Any(row => row.Children.Length > 1 && row.Children[1].TextContent.Trim() == DispensingVisit);

    /// <summary>Signs the visit through its page with password and meaning; true when the app confirms (back on the participant).</summary>
    private async Task<bool> SignThroughPageAsync(TestBrowser browser, Guid participantId, string visit)
    {
        var page = await browser.GetAsync($"/participants/{participantId}/visits/{visit}/sign");
        var done = await browser.SubmitAsync(page, "sign-visit", ("Meaning", "Reviewed and approved"), ("SignPassword", app.Account("investigator").Password));
        return done.Path == $"/participants/{participantId}";
    }

    /// <summary>
    /// Per participant: at most one W3 dispensing, and one exactly when the kit is with them and its "Dispense" audit
    /// entry exists; no kit handed out twice; the site's kit ledger reconciles; the chain verifies. Returns how many.
    /// </summary>
    private async Task<int> AssertDispensingWholeAsync(RandomizationTrial trial, IReadOnlyList<Guid> ids)
    {
        var dispensings = await app.WithDbAsync(db => db.Dispensings.AsNoTracking().Where(d => d.TrialId == trial.TrialId && d.VisitCode == DispensingVisit).ToListAsync());
        var kits = await app.WithDbAsync(db => db.Kits.AsNoTracking().Where(k => k.TrialId == trial.TrialId && k.ParticipantId != null).ToListAsync());
        var audited = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.TrialId == trial.TrialId && e.Action == "Dispense").Select(e => e.ParticipantId!.Value).ToListAsync());
        foreach (var id in ids)
        {
            var visitKits = dispensings.Count(d => d.ParticipantId == id);
            Assert.True(visitKits <= 1, $"{id}: {visitKits} W3 dispensings");
            Assert.Equal(visitKits, audited.Count(a => a == id));
            Assert.Equal(1 + visitKits, kits.Count(k => k.ParticipantId == id && k.State == KitState.Dispensed));
        }

        Assert.Equal(dispensings.Count, dispensings.Select(d => d.KitId).Distinct().Count());
        var london = await app.SiteIdAsync("LON");
        var reconciliation = await app.AsUserAsync("datamanager", s => s.GetRequiredService<SupplyLedger>().ReconcileAsync(trial.TrialId, london, trial.Protocol.Kits.UnitsPerKit, CancellationToken.None));
        Assert.True(reconciliation.IsReconciled, string.Join("; ", reconciliation.Findings));
        await AssertChainAsync();
        return dispensings.Count;
    }

    /// <summary>Per participant: signatures of the visit and their "Sign" audit entries agree (at most one each); the chain verifies.</summary>
    private async Task<HashSet<Guid>> AssertSignaturesWholeAsync(RandomizationTrial trial, IReadOnlyList<Guid> ids)
    {
        var signatures = await app.WithDbAsync(db => db.Signatures.AsNoTracking().Where(s => s.TrialId == trial.TrialId && s.Subject == SignatureSubject.Visit).Select(s => s.ParticipantId).ToListAsync());
        var audited = await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.TrialId == trial.TrialId && e.Action == "Sign").Select(e => e.ParticipantId!.Value).ToListAsync());
        foreach (var id in ids)
        {
            var count = signatures.Count(s => s == id);
            Assert.True(count <= 1, $"{id}: {count} signatures");
            Assert.Equal(count, audited.Count(a => a == id));
        }

        await AssertChainAsync();
        return [.. signatures];
    }

    private async Task AssertChainAsync()
    {
        var chain = await app.Services.GetRequiredService<AuditChainVerifier>().VerifyAsync();
        Assert.True(chain.Intact, chain.Problem);
    }
}
