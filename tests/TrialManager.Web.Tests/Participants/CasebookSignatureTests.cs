using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Safety;

namespace TrialManager.Web.Tests.Participants;

/// <summary>The investigator's sign-off of a whole casebook: two components, blockers, and breaking on any later change.</summary>
public class CasebookSignatureTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task A_wrong_password_is_refused_and_audited_the_right_one_signs_and_a_new_adverse_event_breaks_it()
    {
        var (id, _, _) = await app.RegisterParticipantAsync("coordinator");
        using var investigator = app.NewBrowser();
        await investigator.SignInAsync("investigator");
        var page = await investigator.GetAsync($"/participants/{id}/casebook/sign");

        var wrong = await investigator.SubmitAsync(page, "sign-casebook", ("Meaning", "Reviewed and approved"), ("SignPassword", "certainly not it"));
        Assert.Contains("The password is not right", wrong.Text, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Signatures.CountAsync(s => s.ParticipantId == id)));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.ParticipantId == id && e.Action == "SignatureRefused")));

        await investigator.SubmitAsync(page, "sign-casebook", ("Meaning", "Reviewed and approved"), ("SignPassword", app.Account("investigator").Password));
        var signature = await app.WithDbAsync(db => db.Signatures.SingleAsync(s => s.ParticipantId == id));
        Assert.Equal(SignatureSubject.Casebook, signature.Subject);
        var participantPage = await investigator.GetAsync($"/participants/{id}");
        var badge = participantPage.Document.QuerySelector("[data-testid=casebook-signature]")!.TextContent;
        Assert.Contains("Signed by Ines Investigator", badge, StringComparison.Ordinal);
        Assert.Contains("Reviewed and approved", badge, StringComparison.Ordinal);
        var pdf = await CasebookTextAsync(investigator, id);
        Assert.Contains("sign-off of the whole casebook", pdf, StringComparison.Ordinal);
        Assert.Contains("Ines Investigator", pdf, StringComparison.Ordinal);
        Assert.Contains(signature.SignedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), pdf, StringComparison.Ordinal);
        Assert.DoesNotContain("BROKEN", pdf, StringComparison.Ordinal);

        // Anything new in the casebook, here an adverse event, means the sign-off no longer covers it.
        await app.ReportAsync("coordinator", id, app.NonSerious("LON"));
        Assert.True((await app.AsUserAsync("investigator", s => s.GetRequiredService<SignCasebook>().StatusAsync(id))).Broken);
        var after = await investigator.GetAsync($"/participants/{id}");
        Assert.Contains("Signature broken", after.Document.QuerySelector("[data-testid=casebook-signature]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("SIGNATURE BROKEN", await CasebookTextAsync(investigator, id), StringComparison.Ordinal);
    }

    private static async Task<string> CasebookTextAsync(TestBrowser browser, Guid id)
    {
        var response = await browser.GetAsync($"/participants/{id}/casebook.pdf");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.Status);
        var text = TrialManager.Documents.Tests.Poppler.Text(await response.Response.Content.ReadAsByteArrayAsync());
        return System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
    }

    [Fact]
    public async Task A_casebook_with_a_draft_form_cannot_be_signed()
    {
        var (id, _, _) = await app.RegisterParticipantAsync("coordinator");
        var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<Web.Features.Participants.SaveForm>().ExecuteAsync(
            new(id, "SCR", "DEP9", new Dictionary<string, string?> { ["d1"] = "1" }, false, null)));
        Assert.True(saved.Succeeded);
        var result = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignCasebook>().ExecuteAsync(id, "Reviewed and approved", app.Account("investigator").Password));
        Assert.False(result.Succeeded);
        Assert.Contains("draft", string.Join(" ", result.Errors[""]), StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Signatures.CountAsync(s => s.ParticipantId == id)));
    }

    [Fact]
    public async Task Only_an_investigator_of_the_site_signs_a_casebook()
    {
        var (id, _, _) = await app.RegisterParticipantAsync("coordinator");
        await Assert.ThrowsAsync<Web.Authorization.OperationForbiddenException>(() =>
            app.AsUserAsync("coordinator", s => s.GetRequiredService<SignCasebook>().ExecuteAsync(id, "Authored", app.Account("coordinator").Password)));
        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");
        var refused = await bos.GetAsync($"/participants/{id}/casebook/sign", follow: false);
        Assert.NotEqual(System.Net.HttpStatusCode.OK, refused.Status);
    }
}
