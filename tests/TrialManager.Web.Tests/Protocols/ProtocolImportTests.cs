using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Protocols;

public class ProtocolImportTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static string Shipped(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", file));

    private async Task<TestBrowser> AdminAsync()
    {
        if (app.AuthenticatorKey(app.Account("admin").Email) is null)
        {
            await app.EnrolAuthenticatorAsync("admin");
        }

        var browser = app.NewBrowser();
        await browser.SignInAsync("admin");
        return browser;
    }

    private Task<int> VersionCountAsync(string code) =>
        app.WithDbAsync(db => db.ProtocolVersions.CountAsync(v => v.Trial!.Code == code));

    [Fact]
    public async Task The_demo_trial_was_imported_from_its_shipped_protocol()
    {
        using var browser = await AdminAsync();
        var page = await browser.GetAsync("/admin/protocols");

        var trial = page.Document.QuerySelector("[data-testid=trial-PSI-MDD-01]");
        Assert.NotNull(trial);
        Assert.Contains("LON", trial.TextContent, StringComparison.Ordinal);
        Assert.Contains("in force", trial.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_uploaded_protocol_is_checked_then_imported_on_confirmation()
    {
        using var browser = await AdminAsync();
        var form = await browser.GetAsync("/admin/protocols/import");
        var preview = await browser.SubmitWithFileAsync(form, "protocol-upload", "ProtocolFile", "lsd-gad.yaml", Encoding.UTF8.GetBytes(Shipped("lsd-gad.yaml")));

        Assert.Equal(HttpStatusCode.OK, preview.Status);
        Assert.NotNull(preview.Document.QuerySelector("[data-testid=ready-to-import]"));
        Assert.Contains("create the trial", preview.Text, StringComparison.Ordinal);
        Assert.Equal(0, await VersionCountAsync("LSD-GAD-01"));

        var done = await browser.SubmitAsync(preview, "protocol-confirm");
        Assert.Equal("/admin/protocols", done.Path);
        Assert.NotNull(done.Document.QuerySelector("[data-testid=trial-LSD-GAD-01]"));
        Assert.Equal(1, await VersionCountAsync("LSD-GAD-01"));

        // The same content again imports nothing.
        var again = await browser.SubmitWithFileAsync(await browser.GetAsync("/admin/protocols/import"), "protocol-upload", "ProtocolFile", "copy.yaml", Encoding.UTF8.GetBytes(Shipped("lsd-gad.yaml")));
        Assert.NotNull(again.Document.QuerySelector("[data-testid=already-imported]"));
        Assert.Equal(1, await VersionCountAsync("LSD-GAD-01"));
    }

    [Fact]
    public async Task Changed_content_for_an_existing_trial_becomes_an_amendment_and_the_original_is_kept()
    {
        using var browser = await AdminAsync();
        var amended = Shipped("psilocybin-mdd.yaml").Replace("version: \"1.0\"", "version: \"1.1\"", StringComparison.Ordinal);
        var form = await browser.GetAsync("/admin/protocols/import");
        var preview = await browser.SubmitAsync(form, "protocol-upload", ("Upload.Text", amended));
        Assert.Contains("make amendment 2", preview.Text, StringComparison.Ordinal);

        var done = await browser.SubmitAsync(preview, "protocol-confirm");
        Assert.Equal("/admin/protocols", done.Path);
        var versions = await app.WithDbAsync(db => db.ProtocolVersions.Where(v => v.Trial!.Code == "PSI-MDD-01").OrderBy(v => v.Sequence).Select(v => new { v.Sequence, v.Version, v.ContentHash }).ToListAsync());
        Assert.Equal([1, 2], versions.Select(v => v.Sequence));
        Assert.Equal(["1.0", "1.1"], versions.Select(v => v.Version));
        Assert.NotEqual(versions[0].ContentHash, versions[1].ContentHash);
    }

    [Fact]
    public async Task An_invalid_file_gets_a_precise_report_and_imports_nothing()
    {
        using var browser = await AdminAsync();
        var broken = Shipped("lsd-gad.yaml").Replace("block_sizes: [3, 6]", "block_sizes: [3, 5]", StringComparison.Ordinal) + "\nunexpected_section: 1\n";
        Assert.Contains("[3, 5]", broken, StringComparison.Ordinal);
        var trialsBefore = await app.WithDbAsync(db => db.Trials.CountAsync());

        var form = await browser.GetAsync("/admin/protocols/import");
        var report = await browser.SubmitWithFileAsync(form, "protocol-upload", "ProtocolFile", "broken.yaml", Encoding.UTF8.GetBytes(broken));

        var table = report.Document.QuerySelector("[data-testid=validation-report]");
        Assert.NotNull(table);
        Assert.Contains("randomization.block_sizes[1]", table.TextContent, StringComparison.Ordinal);
        Assert.Contains("unexpected_section", table.TextContent, StringComparison.Ordinal);
        Assert.Null(report.Document.QuerySelector("[data-testid=ready-to-import]"));
        Assert.DoesNotContain(report.Document.Forms, f => f.QuerySelector("input[name='_handler'][value='protocol-confirm']") is not null);
        Assert.Equal(trialsBefore, await app.WithDbAsync(db => db.Trials.CountAsync()));
    }

    [Fact]
    public async Task A_confirmation_whose_text_differs_from_what_was_checked_imports_nothing()
    {
        using var browser = await AdminAsync();
        var form = await browser.GetAsync("/admin/protocols/import");
        var text = Shipped("lsd-gad.yaml").Replace("code: LSD-GAD-01", "code: LSD-GAD-09", StringComparison.Ordinal);
        var preview = await browser.SubmitAsync(form, "protocol-upload", ("Upload.Text", text));
        Assert.NotNull(preview.Document.QuerySelector("[data-testid=ready-to-import]"));

        // Post back other content under the checked hash: the page must show the check again, not import.
        var swapped = text.Replace("duration_days: 56", "duration_days: 49", StringComparison.Ordinal);
        var result = await browser.SubmitAsync(preview, "protocol-confirm", ("Confirm.Text", swapped));
        Assert.Equal("/admin/protocols/import", result.Path);
        Assert.Equal(0, await VersionCountAsync("LSD-GAD-09"));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("binary")]
    [InlineData("huge")]
    public async Task Unreadable_uploads_get_a_message_beside_the_file_field(string kind)
    {
        using var browser = await AdminAsync();
        var form = await browser.GetAsync("/admin/protocols/import");
        var page = kind switch
        {
            "empty" => await browser.SubmitAsync(form, "protocol-upload"),
            "binary" => await browser.SubmitWithFileAsync(form, "protocol-upload", "ProtocolFile", "x.yaml", [0xFF, 0xFE, 0x00, 0xC3, 0x28]),
            _ => await browser.SubmitWithFileAsync(form, "protocol-upload", "ProtocolFile", "x.yaml", Encoding.UTF8.GetBytes(new string('#', 1_100_000))),
        };

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.False(string.IsNullOrWhiteSpace(page.Document.QuerySelector("[data-testid=upload-error]")?.TextContent));
    }

    [Fact]
    public async Task The_summary_shows_the_design_but_no_arm_labels_ratios_or_block_sizes()
    {
        using var browser = await AdminAsync();
        var form = await browser.GetAsync("/admin/protocols/import");
        var preview = await browser.SubmitAsync(form, "protocol-upload", ("Upload.Text", Shipped("lsd-gad.yaml").Replace("code: LSD-GAD-01", "code: LSD-GAD-02", StringComparison.Ordinal)));
        var page = preview.Html;

        Assert.Contains("2 arms", preview.Document.QuerySelector("[data-testid=protocol-summary]")!.TextContent, StringComparison.Ordinal);
        var protocol = TrialManager.Domain.Protocols.ProtocolLoader.Load(Shipped("lsd-gad.yaml"), "lsd-gad.yaml").Protocol!;
        // The page carries the file back in a hidden field for the confirmation; look only at what is displayed.
        var shown = string.Concat(preview.Document.Body!.QuerySelectorAll("*:not(input)").Where(e => e.Children.Length == 0).Select(e => e.TextContent + "\n"));
        foreach (var arm in protocol.Arms)
        {
            Assert.DoesNotContain(arm.BlindedLabel, shown, StringComparison.Ordinal);
            Assert.DoesNotContain($">{arm.Code}<", page, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("block", shown, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("2:1", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("investigator")]
    [InlineData("datamanager")]
    [InlineData("dsmb")]
    public async Task Only_administrators_can_import_even_with_a_forged_post(string local)
    {
        using var browser = app.NewBrowser();
        var home = await browser.SignInAsync(local);
        var page = await browser.GetAsync("/admin/protocols/import");
        Assert.Equal("/Account/AccessDenied", page.Path);

        var token = home.Document.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        var forged = await browser.PostAsync("/admin/protocols/import", [
            new("_handler", "protocol-confirm"), new("__RequestVerificationToken", token),
            new("Confirm.Text", Shipped("lsd-gad.yaml").Replace("code: LSD-GAD-01", "code: LSD-FORGED", StringComparison.Ordinal)),
            new("Confirm.FileName", "f.yaml"), new("Confirm.ExpectedHash", "x")]);
        Assert.NotEqual("/admin/protocols", forged.Path);
        Assert.Equal(0, await VersionCountAsync("LSD-FORGED"));
    }
}
