using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Administration;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Vault;

/// <summary>
/// The vault, the emergency code-break and the two-person whole list: who may, what they must give first
/// (re-authentication within 5 minutes, reason, a list that matches its commitment), and what everyone else sees.
/// </summary>
public class UnblindingTests(TrialApp app) : IClassFixture<TrialApp>
{
    private Task<(RandomizationTrial Trial, List<Guid> Ids)> RandomizedAsync(string code, int count = 2) => RandomizationTrial.CreateRandomizedAsync(app, code, count);

    private static string Number(TrialApp app, Guid id) => app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.Number).SingleAsync()).GetAwaiter().GetResult();

    [Fact]
    public async Task The_safety_officer_reveals_one_participant_after_re_authenticating_and_everyone_else_sees_only_that_the_blind_was_broken()
    {
        var (trial, ids) = await RandomizedAsync("VAULT1");
        var number = Number(app, ids[0]);
        using var safety = await app.SignedInAsync("safety");
        var vault = await safety.GetAsync("/vault");
        Assert.NotNull(vault.Document.QuerySelector("[data-testid=reauth-needed]"));

        // Without a fresh re-authentication nothing is revealed, and the entries stay.
        var refused = await safety.SubmitAsync(vault, "vault-reveal", ("TrialId", trial.TrialId.ToString()), ("ParticipantNumber", number), ("Reason", "SusarAssessment"), ("Explanation", "Assessing a seizure reported as a SUSAR"));
        Assert.Contains("Confirm it is you first", refused.Text, StringComparison.Ordinal);
        Assert.Null(refused.Document.QuerySelector("[data-testid=revealed-arm]"));
        Assert.Equal(number, refused.ValueOf("vault-participant"));

        await app.ReauthenticateAsync(safety, "safety", "/vault");
        vault = await safety.GetAsync("/vault");
        var noReason = await safety.SubmitAsync(vault, "vault-reveal", ("TrialId", trial.TrialId.ToString()), ("ParticipantNumber", number), ("Explanation", "short"));
        Assert.NotEmpty(noReason.MessagesFor("reveal-reason"));
        Assert.Null(noReason.Document.QuerySelector("[data-testid=revealed-arm]"));

        var revealed = await safety.SubmitAsync(vault, "vault-reveal", ("TrialId", trial.TrialId.ToString()), ("ParticipantNumber", number), ("Reason", "SusarAssessment"), ("Explanation", "Assessing a seizure reported as a SUSAR"));
        var arm = await app.Services.GetRequiredService<Allocations>().ArmOfAsync(trial.TrialId, ids[0]);
        var shown = revealed.Document.QuerySelector("[data-testid=revealed-arm]")!.TextContent;
        Assert.Contains(arm!, shown, StringComparison.Ordinal);

        // Recorded and announced without the arm; the participant shows as unblinded, nothing more.
        var entry = await app.WithDbAsync(db => db.AuditTrail.SingleAsync(e => e.ParticipantId == ids[0] && e.Action == "Reveal"));
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, entry.Changes, StringComparison.OrdinalIgnoreCase);
        }

        var notes = await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject == $"{number} was unblinded").Join(db.Users, n => n.UserId, u => u.Id, (n, u) => new { u.Email, n.Body }).ToListAsync());
        Assert.Contains(notes, n => n.Email == app.Account("datamanager").Email);
        Assert.Contains(notes, n => n.Email == app.Account("investigator").Email);
        Assert.DoesNotContain(notes, n => n.Email == app.Account("coordinator").Email);
        Assert.All(notes, n => Assert.All(RandomizationTrial.ArmSecrets, s => Assert.DoesNotContain(s, n.Body, StringComparison.OrdinalIgnoreCase)));

        using var investigator = await app.SignedInAsync("investigator");
        var participantPage = await investigator.GetAsync($"/participants/{ids[0]}");
        Assert.NotNull(participantPage.Document.QuerySelector("[data-testid=unblinded]"));
        Assert.All(RandomizationTrial.ArmSecrets, s => Assert.DoesNotContain(s, participantPage.Html, StringComparison.OrdinalIgnoreCase));
        Assert.Null((await investigator.GetAsync($"/participants/{ids[1]}")).Document.QuerySelector("[data-testid=unblinded]"));

        // The casebook says so too, as status only.
        var casebook = await investigator.GetAsync($"/participants/{ids[0]}/casebook.pdf");
        var text = TrialManager.Documents.Tests.Poppler.Text(await casebook.Response.Content.ReadAsByteArrayAsync());
        Assert.Contains("Blind broken", text, StringComparison.Ordinal);
        Assert.All(RandomizationTrial.ArmSecrets, s => Assert.DoesNotContain(s, text, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_stale_re_authentication_is_refused()
    {
        var (trial, ids) = await RandomizedAsync("VAULT2");
        using var safety = await app.SignedInAsync("safety");
        await app.ReauthenticateAsync(safety, "safety", "/vault");
        app.Clock.Advance(TimeSpan.FromMinutes(6));
        var vault = await safety.GetAsync("/vault");
        var refused = await safety.SubmitAsync(vault, "vault-reveal", ("TrialId", trial.TrialId.ToString()), ("ParticipantNumber", Number(app, ids[0])), ("Reason", "DsmbRequest"), ("Explanation", "The DSMB asked about this participant"));
        Assert.Contains("Confirm it is you first", refused.Text, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Unblindings.CountAsync(u => u.TrialId == trial.TrialId)));
    }

    [Fact]
    public async Task A_wrong_password_or_code_does_not_re_authenticate_and_is_audited()
    {
        using var safety = await app.SignedInAsync("safety");
        var page = await safety.GetAsync("/Account/Reauthenticate?returnUrl=%2Fvault");
        var wrong = await safety.SubmitAsync(page, "reauthenticate", ("Password", "not the password"), ("Code", "123456"));
        Assert.NotEmpty(wrong.MessagesFor("reauth-password"));
        var badCode = await safety.SubmitAsync(page, "reauthenticate", ("Password", app.Account("safety").Password), ("Code", "000000"));
        Assert.NotEmpty(badCode.MessagesFor("reauth-code"));
        Assert.NotNull((await safety.GetAsync("/vault")).Document.QuerySelector("[data-testid=reauth-needed]"));
        var userId = await app.UserIdAsync("safety");
        Assert.True(await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.EntityId == userId && e.Action == "ReauthenticationRefused")) >= 2);
    }

    [Fact]
    public async Task A_tampered_list_reveals_nothing_and_alerts_the_safety_officers()
    {
        var (trial, ids) = await RandomizedAsync("VAULT3");
        // Someone with database access swaps two slots' sealed arms: the list no longer matches its commitment.
        await app.WithDbAsync(async db =>
        {
            var slots = await db.RandomizationSlots.Where(s => s.TrialId == trial.TrialId && s.ParticipantId == null).OrderBy(s => s.Number).Take(2).ToListAsync();
            await db.Database.ExecuteSqlAsync($"""UPDATE "RandomizationSlots" SET "Number" = -1 WHERE "Id" = {slots[0].Id}""");
            return true;
        });
        using var safety = await app.SignedInAsync("safety");
        await app.ReauthenticateAsync(safety, "safety", "/vault");
        var vault = await safety.GetAsync("/vault");
        var refused = await safety.SubmitAsync(vault, "vault-reveal", ("TrialId", trial.TrialId.ToString()), ("ParticipantNumber", Number(app, ids[0])), ("Reason", "SusarAssessment"), ("Explanation", "Assessing a seizure reported as a SUSAR"));
        Assert.Contains("does not match its published commitment", refused.Text, StringComparison.Ordinal);
        Assert.Null(refused.Document.QuerySelector("[data-testid=revealed-arm]"));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.ParticipantId == ids[0] && e.Action == "RevealRefused")));
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.Subject == "Randomization list failed verification")));
    }

    [Fact]
    public async Task Only_the_safety_officer_has_the_vault()
    {
        foreach (var local in new[] { "coordinator", "investigator", "datamanager", "dsmb" })
        {
            using var browser = await app.SignedInAsync(local);
            var page = await browser.GetAsync("/vault", follow: false);
            Assert.True(page.Status == HttpStatusCode.Forbidden || (page.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal), local);
            await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync(local, s => s.GetRequiredService<RevealAllocation>().VaultAsync(Guid.NewGuid(), "LON-0001", new RevealInput { Reason = "Other", Explanation = "trying my luck here" })));
        }
    }

    [Fact]
    public async Task The_investigator_breaks_the_code_for_their_own_participant_and_the_safety_officer_is_told_at_once()
    {
        var (trial, ids) = await RandomizedAsync("BREAK1");
        var number = Number(app, ids[0]);
        using var investigator = await app.SignedInAsync("investigator");
        var page = await investigator.GetAsync($"/participants/{ids[0]}/code-break");
        var noReason = await investigator.SubmitAsync(page, "code-break", ("Reason", ""), ("Explanation", ""));
        Assert.NotEmpty(noReason.MessagesFor("reveal-explanation"));

        await app.ReauthenticateAsync(investigator, "investigator", $"/participants/{ids[0]}/code-break");
        page = await investigator.GetAsync($"/participants/{ids[0]}/code-break");
        var broken = await investigator.SubmitAsync(page, "code-break", ("Reason", "MedicalEmergency"), ("Explanation", "Serotonin syndrome suspected in the emergency department"));
        var arm = await app.Services.GetRequiredService<Allocations>().ArmOfAsync(trial.TrialId, ids[0]);
        Assert.Contains(arm!, broken.Document.QuerySelector("[data-testid=revealed-arm]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(UnblindingKind.EmergencyCodeBreak, await app.WithDbAsync(db => db.Unblindings.Where(u => u.ParticipantId == ids[0]).Select(u => u.Kind).SingleAsync()));
        var told = await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject == $"{number} was unblinded").Join(db.Users, n => n.UserId, u => u.Id, (n, u) => u.Email).ToListAsync());
        Assert.Contains(app.Account("safety").Email, told);

        // Another site's staff cannot, nor can a coordinator (not a code-break role), nor the DSMB.
        using var bos = await app.SignedInAsync("coordinator.bos");
        Assert.NotEqual(HttpStatusCode.OK, (await bos.GetAsync($"/participants/{ids[1]}/code-break", follow: false)).Status);
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("coordinator", s => s.GetRequiredService<RevealAllocation>().CodeBreakAsync(ids[1], new RevealInput { Reason = "MedicalEmergency", Explanation = "Not allowed to do this" })));
        await Assert.ThrowsAsync<OperationForbiddenException>(() => app.AsUserAsync("dsmb", s => s.GetRequiredService<RevealAllocation>().CodeBreakAsync(ids[1], new RevealInput { Reason = "MedicalEmergency", Explanation = "Not allowed to do this" })));
    }

    [Fact]
    public async Task The_whole_list_needs_a_second_person_and_a_fresh_re_authentication()
    {
        var (trial, ids) = await RandomizedAsync("LIST1", 3);
        var requested = await app.AsUserAsync("safety", s => s.GetRequiredService<ListAccess>().RequestAsync(trial.TrialId, "Export", "Final analysis of the primary endpoint requested by the statistician"));
        Assert.True(requested.Succeeded);
        var requestId = requested.Value!.Id;

        // The requester cannot approve their own request, and nothing can be read before approval.
        Assert.False((await app.AsUserAsync("safety", s => s.GetRequiredService<ListAccess>().ApproveAsync(requestId))).Succeeded);
        using var safety = await app.SignedInAsync("safety");
        await app.ReauthenticateAsync(safety, "safety", $"/trials/{trial.Code}/allocation-list");
        Assert.Equal(HttpStatusCode.Forbidden, (await safety.GetAsync($"/trials/{trial.Code}/allocation-list/{requestId}.csv")).Status);

        // A DSMB member approves (after confirming who they are); then the requester, and only they, may export.
        using var dsmb = await app.SignedInAsync("dsmb");
        var page = await dsmb.GetAsync($"/trials/{trial.Code}/allocation-list");
        var notFresh = await dsmb.SubmitAsync(page, $"approve-{requestId}");
        Assert.Contains("Confirm it is you first", notFresh.Text, StringComparison.Ordinal);
        await app.ReauthenticateAsync(dsmb, "dsmb", $"/trials/{trial.Code}/allocation-list");
        page = await dsmb.GetAsync($"/trials/{trial.Code}/allocation-list");
        await dsmb.SubmitAsync(page, $"approve-{requestId}");
        Assert.NotNull(await app.WithDbAsync(db => db.ListAccessRequests.Where(r => r.Id == requestId).Select(r => r.ApprovedAt).SingleAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, (await dsmb.GetAsync($"/trials/{trial.Code}/allocation-list/{requestId}.csv")).Status);

        var csv = await safety.GetAsync($"/trials/{trial.Code}/allocation-list/{requestId}.csv");
        Assert.Equal(HttpStatusCode.OK, csv.Status);
        var arms = await app.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(trial.TrialId);
        foreach (var id in ids)
        {
            Assert.Contains($"{Number(app, id)},LON,", csv.Html, StringComparison.Ordinal);
            Assert.Contains(arms[id], csv.Html, StringComparison.Ordinal);
        }

        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.EntityId == requestId.ToString() && e.Action == "ExportAllocationList")));

        // Blinded roles never reach it.
        using var manager = await app.SignedInAsync("datamanager");
        var denied = await manager.GetAsync($"/trials/{trial.Code}/allocation-list/{requestId}.csv", follow: false);
        Assert.True(denied.Status == HttpStatusCode.Forbidden || (denied.Response.Headers.Location?.ToString() ?? "").Contains("/Account/AccessDenied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Granting_an_unblinded_role_is_audited_and_announced_to_the_safety_officers()
    {
        var created = await app.AsUserAsync("admin", s => s.GetRequiredService<CreateUser>().ExecuteAsync(new CreateUserInput
        {
            Email = "new.dsmb@demo.trialmanager.test",
            DisplayName = "Nova Board",
            Roles = ["DsmbMember"],
        }));
        Assert.True(created.Succeeded, string.Join(" ", created.Outcome.Errors.SelectMany(e => e.Value)));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.EntityId == created.Value!.UserId && e.Action == "GrantUnblindedRole")));
        var safetyId = await app.UserIdAsync("safety");
        Assert.True(await app.WithDbAsync(db => db.Notifications.AnyAsync(n => n.UserId == safetyId && n.Subject == "An unblinded role was granted" && n.Body.Contains("Nova Board"))));
    }
}
