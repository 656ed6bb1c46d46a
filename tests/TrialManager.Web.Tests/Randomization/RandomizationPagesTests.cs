using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Randomization;

/// <summary>The randomization pages as people use them: generate from the trial page, randomize from the participant page.</summary>
public class RandomizationPagesTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task An_administrator_generates_the_list_from_the_trial_page_and_sees_only_its_commitment()
    {
        var text = RandomizationTrial.ProtocolText("PAGE-01", kitsPerSite: 10, slotsPerStratum: 30);
        await app.AsUserAsync("admin", async s =>
        {
            await s.GetRequiredService<ProtocolImporter>().ImportAsync(text, "page.yaml", new ProtocolImportActor("test", "test"));
            return 0;
        });
        await app.EnrolAuthenticatorAsync("admin");
        using var admin = app.NewBrowser();
        await admin.SignInAsync("admin");

        var page = await admin.GetAsync("/trials/PAGE-01");
        var done = await admin.SubmitAsync(page, "generate-list");

        Assert.Equal("/trials/PAGE-01", done.Path);
        Assert.Matches("^[0-9a-f]{64}$", done.Document.QuerySelector("[data-testid=commitment]")!.TextContent.Trim());
        Assert.Contains("generated and sealed", done.Text, StringComparison.Ordinal);
        Assert.Null(done.Document.QuerySelector("form input[name='_handler'][value='generate-list']"));
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, done.Html, StringComparison.OrdinalIgnoreCase);
        }

        var verified = await admin.SubmitAsync(done, "verify-list");
        Assert.Contains("matches its commitment", verified.Document.QuerySelector("[data-testid=verification]")!.TextContent, StringComparison.Ordinal);

        // A coordinator randomizes a participant from the participant page and sees the number and kit, not the arm.
        var trial = await app.WithDbAsync(db => db.Trials.SingleAsync(t => t.Code == "PAGE-01"));
        var participant = await AddEligibleAsync(trial.Id);
        using var coordinator = app.NewBrowser();
        await coordinator.SignInAsync("coordinator");
        var before = await coordinator.GetAsync($"/participants/{participant}");
        var after = await coordinator.SubmitAsync(before, "randomize");
        Assert.Equal("R0001", after.Document.QuerySelector("[data-testid=randomization-number]")!.TextContent.Trim());
        Assert.Contains("Dispense kit", after.Text, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, after.Html, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task The_design_simulation_report_is_for_unblinded_roles_only()
    {
        await app.EnrolAuthenticatorAsync("safety");
        using var safety = app.NewBrowser();
        await safety.SignInAsync("safety");
        var report = await safety.GetAsync("/trials/PSI-MDD-01/simulation");
        Assert.Contains("block", report.Document.QuerySelector("[data-testid=simulation-report]")!.TextContent, StringComparison.OrdinalIgnoreCase);

        foreach (var local in new[] { "coordinator", "investigator", "datamanager" })
        {
            using var blinded = app.NewBrowser();
            await blinded.SignInAsync(local);
            var refused = await blinded.GetAsync("/trials/PSI-MDD-01/simulation");
            Assert.Equal("/Account/AccessDenied", refused.Path);
            var trialPage = await blinded.GetAsync("/trials/PSI-MDD-01");
            Assert.DoesNotContain("/simulation", trialPage.Html, StringComparison.Ordinal);
        }
    }

    private async Task<Guid> AddEligibleAsync(Guid trialId)
    {
        var trial = await RandomizationTrial.CreateFromExistingAsync(app, trialId);
        return (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
    }
}
