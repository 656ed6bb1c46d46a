using System.Net;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.DatabaseLock;
using TrialManager.Web.Features.Exports;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Exports;

/// <summary>
/// Final unblinding and the exports around it: blinded exports for the data manager at any time, access-checked,
/// recorded and named by their hash; unblinded ones refused until the database is hard-locked and two people have
/// released the allocation (with the list checked against its commitment); after that the data manager and the DSMB
/// get each participant's arm, and the database never unlocks again.
/// </summary>
public class FinalUnblindingTests(TrialApp app) : IClassFixture<TrialApp>
{
    private Task<(RandomizationTrial Trial, List<Guid> Ids)> RandomizedAsync(string code, int count = 3) => RandomizationTrial.CreateRandomizedAsync(app, code, count);

    private sealed record Download(HttpStatusCode Status, string FileName, byte[] Content);

    private static async Task<Download> DownloadAsync(TestBrowser browser, string url)
    {
        var page = await browser.GetAsync(url);
        var disposition = page.Response.Content.Headers.ContentDisposition;
        return new(page.Status, disposition?.FileNameStar ?? disposition?.FileName?.Trim('"') ?? "", await page.Response.Content.ReadAsByteArrayAsync());
    }

    private Task<OperationResult> LockAsync(Guid trialId, TrialLockLevel level) =>
        app.AsUserAsync("datamanager", s => s.GetRequiredService<TrialLocks>().LockAsync(trialId, level.ToString(), "Database lock after the last visit was cleaned"));

    [Fact]
    public async Task Blinded_exports_are_the_data_managers_recorded_and_named_by_their_hash()
    {
        var (trial, _) = await RandomizedAsync("FINAL-BLIND", 2);
        using var manager = await app.SignedInAsync("datamanager");
        var page = await manager.GetAsync($"/trials/{trial.Code}/exports");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(TrialExports.NotUnblinded, page.Text, StringComparison.Ordinal);

        foreach (var (path, extension) in new[] { ($"/trials/{trial.Code}/exports/odm?audit=1&signatures=1", ".xml"), ($"/trials/{trial.Code}/exports/csv", ".zip") })
        {
            var file = await DownloadAsync(manager, path);
            Assert.Equal(HttpStatusCode.OK, file.Status);
            var hash = Convert.ToHexStringLower(SHA256.HashData(file.Content));
            Assert.StartsWith($"{trial.Code}_", file.FileName, StringComparison.Ordinal);
            Assert.Contains("_blinded_", file.FileName, StringComparison.Ordinal);
            Assert.EndsWith($"_{hash[..16]}{extension}", file.FileName, StringComparison.Ordinal);
            if (extension == ".xml")
            {
                Assert.Empty(OdmSchema.Validate(file.Content));
            }

            var record = await app.WithDbAsync(db => db.ExportRecords.SingleAsync(r => r.ContentHash == hash));
            Assert.Equal(file.FileName, record.FileName);
            Assert.False(record.Unblinded);
            Assert.Equal(2, record.Participants);
            Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.Action == "Export" && e.EntityId == record.Id.ToString())));
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.DoesNotContain(secret, System.Text.Encoding.UTF8.GetString(file.Content), StringComparison.Ordinal);
            }
        }

        // The page lists both files with their full hashes; the records cannot be rewritten.
        page = await manager.GetAsync($"/trials/{trial.Code}/exports");
        Assert.Equal(2, page.Document.QuerySelectorAll("[data-testid=export-history] tbody tr").Length);
        await Assert.ThrowsAnyAsync<DbUpdateException>(() => app.WithDbAsync(async db =>
        {
            var record = await db.ExportRecords.FirstAsync();
            record.ContentHash = new string('0', 64);
            db.AuditActorOverride = TrialManager.Web.Data.Audit.AuditActor.System("test");
            return await db.SaveChangesAsync();
        }));

        // Nobody else takes blinded data: the DSMB only gets the final unblinded data, site staff nothing at all.
        using var dsmb = await app.SignedInAsync("dsmb");
        Assert.Equal(HttpStatusCode.Forbidden, (await DownloadAsync(dsmb, $"/trials/{trial.Code}/exports/csv")).Status);
        using var coordinator = await app.SignedInAsync("coordinator");
        var denied = await coordinator.GetAsync($"/trials/{trial.Code}/exports/csv", follow: false);
        Assert.True(denied.Status == HttpStatusCode.Forbidden || (denied.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unblinded_exports_wait_for_the_hard_lock_and_two_people_then_carry_each_arm()
    {
        var (trial, ids) = await RandomizedAsync("FINAL-UNBL");
        using var manager = await app.SignedInAsync("datamanager");
        using var dsmb = await app.SignedInAsync("dsmb");
        using var safety = await app.SignedInAsync("safety");

        // Before final unblinding: refused with the reason, and the refusal is audited.
        var early = await DownloadAsync(manager, $"/trials/{trial.Code}/exports/csv?unblinded=1");
        Assert.Equal(HttpStatusCode.Forbidden, early.Status);
        Assert.Contains("final unblinding", System.Text.Encoding.UTF8.GetString(early.Content), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await DownloadAsync(dsmb, $"/trials/{trial.Code}/exports/odm?unblinded=1")).Status);
        Assert.True(await app.WithDbAsync(db => db.AuditTrail.AnyAsync(e => e.TrialId == trial.TrialId && e.Action == "ExportRefused")));

        // Final unblinding cannot be asked for before the hard lock.
        var tooEarly = await app.AsUserAsync("safety", s => s.GetRequiredService<ListAccess>().RequestAsync(trial.TrialId, "FinalUnblinding", "All data are clean; the statistical analysis plan is signed"));
        Assert.False(tooEarly.Succeeded);
        Assert.Contains("hard-locked", string.Join(" ", tooEarly.Outcome.Errors.SelectMany(e => e.Value)), StringComparison.Ordinal);

        Assert.True((await LockAsync(trial.TrialId, TrialLockLevel.Hard)).Succeeded);
        var requested = await app.AsUserAsync("safety", s => s.GetRequiredService<ListAccess>().RequestAsync(trial.TrialId, "FinalUnblinding", "All data are clean; the statistical analysis plan is signed"));
        Assert.True(requested.Succeeded);
        var requestId = requested.Value!.Id;

        // The asker cannot approve it; a second person must, after confirming who they are.
        Assert.False((await app.AsUserAsync("safety", s => s.GetRequiredService<ListAccess>().ApproveAsync(requestId))).Succeeded);
        Assert.Null(await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trial.TrialId).Select(t => t.FinalUnblindedAt).SingleAsync()));
        await app.ReauthenticateAsync(dsmb, "dsmb", $"/trials/{trial.Code}/allocation-list");
        await dsmb.SubmitAsync(await dsmb.GetAsync($"/trials/{trial.Code}/allocation-list"), $"approve-{requestId}");
        Assert.NotNull(await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trial.TrialId).Select(t => t.FinalUnblindedAt).SingleAsync()));
        Assert.True(await app.WithDbAsync(db => db.AuditTrail.AnyAsync(e => e.TrialId == trial.TrialId && e.Action == "FinalUnblinding")));
        var managerId = await app.UserIdAsync("datamanager");
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.UserId == managerId && n.Subject == $"{trial.Code} is finally unblinded")));

        // Now the data manager and the DSMB take each participant's arm.
        var arms = await app.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId);
        var numbers = await app.WithDbAsync(db => db.Participants.Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Number));
        foreach (var (browser, path) in new[] { (manager, $"/trials/{trial.Code}/exports/odm?unblinded=1"), (dsmb, $"/trials/{trial.Code}/exports/odm?unblinded=1&audit=1") })
        {
            var file = await DownloadAsync(browser, path);
            Assert.Equal(HttpStatusCode.OK, file.Status);
            Assert.Contains("_UNBLINDED_", file.FileName, StringComparison.Ordinal);
            Assert.Empty(OdmSchema.Validate(file.Content));
            var xml = System.Xml.Linq.XDocument.Parse(System.Text.Encoding.UTF8.GetString(file.Content));
            System.Xml.Linq.XNamespace odm = "http://www.cdisc.org/ns/odm/v1.3";
            foreach (var id in ids)
            {
                var subject = xml.Descendants(odm + "SubjectData").Single(s => (string?)s.Attribute("SubjectKey") == numbers[id]);
                Assert.Contains(subject.Descendants(odm + "ItemData"), i => ((string?)i.Attribute("ItemOID") ?? "").EndsWith("ARM", StringComparison.Ordinal) && (string?)i.Attribute("Value") == arms[id]);
            }
        }

        var csv = await DownloadAsync(dsmb, $"/trials/{trial.Code}/exports/csv?unblinded=1");
        Assert.Equal(HttpStatusCode.OK, csv.Status);
        Assert.Equal(3, await app.WithDbAsync(db => db.ExportRecords.CountAsync(r => r.TrialId == trial.TrialId && r.Unblinded)));

        // The database stays locked from now on.
        var unlock = await app.AsUserAsync("datamanager", s => s.GetRequiredService<TrialLocks>().RequestUnlockAsync(trial.TrialId, "Soft", "A late correction from a site after the analysis"));
        Assert.False(unlock.Succeeded);
        Assert.Contains("finally unblinded", string.Join(" ", unlock.Errors.SelectMany(e => e.Value)), StringComparison.Ordinal);
    }
}
