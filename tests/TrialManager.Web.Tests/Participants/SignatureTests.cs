using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Signatures;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Participants;

/// <summary>Electronic signatures of a visit's forms: two components, a meaning, and breaking on any later change.</summary>
public class SignatureTests(TrialApp app) : IClassFixture<TrialApp>
{
    /// <summary>A registered participant whose screening forms are all complete, entered through the real operation.</summary>
    private async Task<Guid> ParticipantWithCompleteScreeningAsync()
    {
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var registered = await browser.SubmitAsync(await browser.GetAsync("/participants/new"), "register-participant",
            ("Input.YearOfBirth", "1982"), ("Input.Sex", "female"), ("Input.ConsentedOn", DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("Input.ConsentFormVersion", "2.0"));
        var id = Guid.Parse(registered.Path["/participants/".Length..]);
        var protocol = ProtocolLoader.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", "psilocybin-mdd.yaml")), "p.yaml").Protocol!;
        foreach (var formCode in protocol.ScreeningVisit.Forms)
        {
            var form = protocol.FindForm(formCode)!;
            var values = form.Fields.ToDictionary(f => f.Code, f => (string?)ValidValue(f));
            var saved = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "SCR", formCode, values, true, null)));
            Assert.True(saved.Succeeded, formCode + ": " + string.Join(" ", saved.Outcome.Errors.SelectMany(e => e.Value)));
        }

        return id;
    }

    internal static string ValidValue(FieldDefinition field) => field.Type switch
    {
        FieldType.SingleChoice or FieldType.MultipleChoice => field.Choices[0].Code,
        FieldType.YesNo => "no",
        FieldType.Date => "2026-11-01",
        FieldType.Integer or FieldType.Decimal => ((field.Minimum ?? 0) + (field.Maximum ?? field.Minimum ?? 0)) is var sum ? ((int)(sum / 2)).ToString(CultureInfo.InvariantCulture) : "0",
        _ => "ok",
    };

    [Fact]
    public async Task An_investigator_signs_with_password_and_meaning_and_a_later_change_breaks_the_signature()
    {
        var id = await ParticipantWithCompleteScreeningAsync();
        using var investigator = app.NewBrowser();
        await investigator.SignInAsync("investigator");
        var signPage = await investigator.GetAsync($"/participants/{id}/visits/SCR/sign");

        var wrong = await investigator.SubmitAsync(signPage, "sign-visit", ("Meaning", "Reviewed and approved"), ("SignPassword", "not my password at all"));
        Assert.Contains("The password is not right", wrong.Text, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Signatures.CountAsync(s => s.ParticipantId == id)));
        Assert.Equal(1, await app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.ParticipantId == id && e.Action == "SignatureRefused")));

        var noMeaning = await investigator.SubmitAsync(signPage, "sign-visit", ("SignPassword", app.Account("investigator").Password));
        Assert.Contains("Choose what your signature means", noMeaning.Text, StringComparison.Ordinal);

        await investigator.SubmitAsync(signPage, "sign-visit", ("Meaning", "Reviewed and approved"), ("SignPassword", app.Account("investigator").Password));
        var form = await investigator.GetAsync($"/participants/{id}/visits/SCR/forms/DEP9");
        var badge = form.Document.QuerySelector("[data-testid=signature-SCR]")!.TextContent;
        Assert.Contains("Signed by Ines Investigator", badge, StringComparison.Ordinal);
        Assert.Contains("UTC", badge, StringComparison.Ordinal);
        Assert.Contains("Reviewed and approved", badge, StringComparison.Ordinal);

        // The coordinator corrects a value (with a reason): the signature no longer covers what is there.
        var values = new Dictionary<string, string?>(await app.WithDbAsync(db => db.FormValues.Where(v => v.ParticipantId == id && v.FormEntryId == db.FormEntries.Where(e => e.ParticipantId == id && e.FormCode == "DEP9").Select(e => e.Id).Single()).ToDictionaryAsync(v => v.FieldCode, v => (string?)v.Value)))
        {
            ["d1"] = "3",
        };
        var corrected = await app.AsUserAsync("coordinator", s => s.GetRequiredService<SaveForm>().ExecuteAsync(new(id, "SCR", "DEP9", values, true, "Source document re-read")));
        Assert.True(corrected.Succeeded);
        var after = await investigator.GetAsync($"/participants/{id}/visits/SCR/forms/DEP9");
        Assert.Contains("Signature broken", after.Document.QuerySelector("[data-testid=signature-SCR]")!.TextContent, StringComparison.Ordinal);
        var state = await app.AsUserAsync("investigator", s => s.GetRequiredService<SignVisit>().StatusAsync(id, "SCR"));
        Assert.True(state.Broken);
    }

    [Fact]
    public async Task Only_investigators_of_the_participants_site_may_sign()
    {
        var id = await ParticipantWithCompleteScreeningAsync();
        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        Assert.Equal("/Account/AccessDenied", (await coordinator.GetAsync($"/participants/{id}/visits/SCR/sign")).Path);
        await Assert.ThrowsAsync<TrialManager.Web.Authorization.OperationForbiddenException>(() =>
            app.AsUserAsync("coordinator", s => s.GetRequiredService<SignVisit>().ExecuteAsync(id, "SCR", "Authored", app.Account("coordinator").Password)));
        Assert.Equal(0, await app.WithDbAsync(db => db.Signatures.CountAsync(s => s.ParticipantId == id)));
    }
}
