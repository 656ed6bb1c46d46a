using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Authorization;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Safety;

/// <summary>An investigator signs an adverse event report: password again, meaning, printed name and UTC time; a follow-up breaks it.</summary>
public class AdverseEventSignatureTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string FormName = "sign-adverse-event";

    [Fact]
    public async Task A_wrong_password_is_refused_and_audited_the_right_one_signs_and_a_follow_up_breaks_the_signature()
    {
        var participant = await app.RegisterParticipantAsync("coordinator");
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", "Seizure"));
        using var investigator = await app.SignedInAsync("investigator");

        var eventPage = await investigator.GetAsync($"/adverse-events/{adverseEvent.Id}");
        Assert.Contains($"/adverse-events/{adverseEvent.Id}/sign", eventPage.Links);
        var signPage = await investigator.GetAsync($"/adverse-events/{adverseEvent.Id}/sign");
        Assert.Equal(HttpStatusCode.OK, signPage.Status);
        Assert.Contains("Ines Investigator", signPage.Text, StringComparison.Ordinal);

        var wrong = await investigator.SubmitAsync(signPage, FormName, ("Meaning", "Reviewed and approved"), ("SignPassword", "not my password at all"));
        Assert.Equal(HttpStatusCode.OK, wrong.Status);
        Assert.Contains("The password is not right; nothing was signed.", wrong.MessagesFor("sign-password"));
        Assert.Equal(0, await SignatureCountAsync(adverseEvent.Id));
        var refusal = Assert.Single(await app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.Action == "SignatureRefused" && e.EntityId == adverseEvent.Id.ToString()).ToListAsync()));
        Assert.Equal(participant.Id, refusal.ParticipantId);
        Assert.Equal(await app.SiteIdAsync("LON"), refusal.SiteId);

        var noMeaning = await investigator.SubmitAsync(signPage, FormName, ("SignPassword", app.Account("investigator").Password));
        Assert.Contains("Choose what your signature means.", noMeaning.Text, StringComparison.Ordinal);
        Assert.Equal(0, await SignatureCountAsync(adverseEvent.Id));

        var signed = await investigator.SubmitAsync(signPage, FormName, ("Meaning", "Reviewed and approved"), ("SignPassword", app.Account("investigator").Password));
        Assert.Equal($"/adverse-events/{adverseEvent.Id}", signed.Path);
        var signature = await app.WithDbAsync(db => db.Signatures.AsNoTracking().SingleAsync(s => s.AdverseEventId == adverseEvent.Id));
        Assert.Equal(1, signature.AdverseEventVersion);
        Assert.Equal("Ines Investigator", signature.SignedByName);
        var badge = Badge(signed);
        Assert.Contains("Signed by Ines Investigator", badge, StringComparison.Ordinal);
        Assert.Contains(signature.SignedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture), badge, StringComparison.Ordinal);
        Assert.Contains("Reviewed and approved", badge, StringComparison.Ordinal);
        Assert.DoesNotContain("broken", badge, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.Action == "Sign" && e.EntityId == adverseEvent.Id.ToString())));

        // A follow-up is a new version: the signature no longer covers the report as it stands.
        await app.FollowUpAsync("coordinator", adverseEvent.Id, await app.FollowUpOfAsync(adverseEvent.Id, "Discharged after one night."));
        var after = await investigator.GetAsync($"/adverse-events/{adverseEvent.Id}");
        var broken = Badge(after);
        Assert.Contains("Signature broken", broken, StringComparison.Ordinal);
        Assert.Contains("Ines Investigator", broken, StringComparison.Ordinal);
        Assert.Contains("Sign again", broken, StringComparison.Ordinal);

        // Signing again (a minute later) covers version 2, and the earlier signature is kept.
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await investigator.SubmitAsync(await investigator.GetAsync($"/adverse-events/{adverseEvent.Id}/sign"), FormName, ("Meaning", "Verified against source documents"), ("SignPassword", app.Account("investigator").Password));
        Assert.Contains("Verified against source documents", Badge(again), StringComparison.Ordinal);
        Assert.DoesNotContain("broken", Badge(again), StringComparison.OrdinalIgnoreCase);
        Assert.Equal([1, 2], await app.WithDbAsync(db => db.Signatures.Where(s => s.AdverseEventId == adverseEvent.Id).OrderBy(s => s.AdverseEventVersion).Select(s => s.AdverseEventVersion!.Value).ToListAsync()));
    }

    [Fact]
    public async Task Only_an_investigator_of_the_site_signs_a_report()
    {
        var participant = await app.RegisterParticipantAsync("coordinator");
        var adverseEvent = await app.ReportAsync("coordinator", participant.Id, app.NonSerious("LON", "Nausea"));

        using var coordinator = await app.SignedInAsync("coordinator");
        Assert.Equal("/Account/AccessDenied", (await coordinator.GetAsync($"/adverse-events/{adverseEvent.Id}/sign")).Path);
        Assert.DoesNotContain($"/adverse-events/{adverseEvent.Id}/sign", (await coordinator.GetAsync($"/adverse-events/{adverseEvent.Id}")).Links);
        await Assert.ThrowsAsync<OperationForbiddenException>(() =>
            app.AsUserAsync("coordinator", s => s.GetRequiredService<SignAdverseEvent>().ExecuteAsync(adverseEvent.Id, "Authored", app.Account("coordinator").Password)));
        await Assert.ThrowsAsync<OperationForbiddenException>(() =>
            app.AsUserAsync("safety", s => s.GetRequiredService<SignAdverseEvent>().ExecuteAsync(adverseEvent.Id, "Authored", app.Account("safety").Password)));
        Assert.Equal(0, await SignatureCountAsync(adverseEvent.Id));
    }

    private Task<int> SignatureCountAsync(Guid eventId) => app.WithDbAsync(db => db.Signatures.CountAsync(s => s.AdverseEventId == eventId));

    /// <summary>The signature manifestation on the event page (the badge carries the visit code, empty for an event).</summary>
    private static string Badge(Page page) =>
        SafetyScenario.Normalise(page.Document.QuerySelector("[data-testid^=signature-]")?.TextContent ?? throw new InvalidOperationException($"No signature shown on {page.Path}"));
}
