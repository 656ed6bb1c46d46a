using System.Globalization;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Participants;

/// <summary>A site's daily work through the real pages, driven by the shipped psilocybin protocol.</summary>
public class EnrolmentTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static readonly string[] EligibleAnswers =
    [
        "INC-AGE=35", "INC-CONSENT=yes", "INC-EPISODE=yes", "EXC-PSYCHOSIS=no", "EXC-FAMILY=no", "EXC-SSRI=no", "EXC-MAOI=no",
        "EXC-LITHIUM=no", "EXC-VALVE=no", "EXC-PREGNANCY=not_applicable", "EXC-SUICIDE=no", "EXC-PSYCHEDELIC=no",
    ];

    private static readonly string Today = DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task<(TestBrowser Browser, Guid Participant)> RegisterAsync(string local = "coordinator")
    {
        var browser = app.NewBrowser();
        await browser.SignInAsync(local);
        var form = await browser.GetAsync("/participants/new");
        var done = await browser.SubmitAsync(form, "register-participant",
            ("Input.YearOfBirth", "1990"), ("Input.Sex", "female"), ("Input.Initials", "ab"), ("Input.ConsentedOn", Today), ("Input.ConsentFormVersion", "2.0"));
        Assert.StartsWith("/participants/", done.Path, StringComparison.Ordinal);
        return (browser, Guid.Parse(done.Path["/participants/".Length..]));
    }

    private static async Task<Page> CompleteDepressionScaleAsync(TestBrowser browser, Guid participant, string visit, params string[] items)
    {
        var page = await browser.GetAsync($"/participants/{participant}/visits/{visit}/forms/DEP9");
        var values = items.Select((value, i) => new KeyValuePair<string, string>($"f.d{i + 1}", value)).Append(new("action", "complete"));
        return await browser.SubmitAsync(page, "crf", values);
    }

    private static Task<Page> ScreenAsync(TestBrowser browser, Page screening, IEnumerable<string> answers) =>
        browser.SubmitAsync(screening, "screening", answers.Select(a => a.Split('=')).Select(a => new KeyValuePair<string, string>("a." + a[0], a[1])));

    [Fact]
    public async Task A_coordinator_registers_screens_randomizes_and_follows_the_schedule()
    {
        var (browser, id) = await RegisterAsync();
        using var _ = browser;
        var participant = await app.WithDbAsync(db => db.Participants.SingleAsync(p => p.Id == id));
        Assert.Matches(@"^LON-\d{3}$", participant.Number);
        Assert.Equal(ParticipantStatus.Registered, participant.Status);
        Assert.Equal("AB", participant.Initials);
        Assert.Equal("Casey Coordinator", participant.ConsentObtainedByName);

        // Baseline depression 12 (moderate): the eligibility score and the stratum both come from it.
        var dep9 = await CompleteDepressionScaleAsync(browser, id, "SCR", "1", "2", "1", "2", "1", "1", "2", "1", "1");
        Assert.Equal("Complete", dep9.Document.QuerySelector("[data-testid=form-status]")!.TextContent.Trim());
        Assert.Contains("12", dep9.Document.QuerySelector("[data-testid=scores]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Moderate", dep9.Document.QuerySelector("[data-testid=scores]")!.TextContent, StringComparison.Ordinal);

        var screening = await browser.GetAsync($"/participants/{id}/screening");
        Assert.Contains("12 (Moderate), from DEP9", screening.Text, StringComparison.Ordinal);
        var screened = await ScreenAsync(browser, screening, EligibleAnswers);
        Assert.Equal($"/participants/{id}", screened.Path);
        Assert.Contains("eligible", screened.Document.QuerySelector("[data-testid=eligibility-result]")!.TextContent, StringComparison.Ordinal);
        participant = await app.WithDbAsync(db => db.Participants.SingleAsync(p => p.Id == id));
        Assert.Equal(ParticipantStatus.Eligible, participant.Status);
        Assert.Equal("baseline_severity=moderate", participant.StratumLevels);

        await app.EnrolAuthenticatorAsync("admin");
        await app.AsUserAsync("admin", s => s.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(participant.TrialId));
        var before = await browser.GetAsync($"/participants/{id}");
        var randomized = await browser.SubmitAsync(before, "randomize");
        Assert.Equal("R0001", randomized.Document.QuerySelector("[data-testid=randomization-number]")!.TextContent.Trim());

        // The schedule runs from today; week 1 is upcoming. Recording it today, six days early, is a deviation.
        var schedule = randomized.Document.QuerySelector("[data-testid=visit-schedule]")!;
        Assert.Contains("Upcoming", schedule.QuerySelector("[data-testid=visit-W1]")!.TextContent, StringComparison.Ordinal);
        var recorded = await browser.SubmitAsync(randomized, "visit-W1", ("DoneOn", Today), ("action", "done"));
        Assert.Contains("DoneOutOfWindow", recorded.Document.QuerySelector("[data-testid=visit-W1]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("outside its window", recorded.Document.QuerySelector("[data-testid=deviations]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exclusion_answer_makes_a_screen_failure_who_cannot_be_randomized()
    {
        var (browser, id) = await RegisterAsync();
        using var _ = browser;
        await CompleteDepressionScaleAsync(browser, id, "SCR", "2", "2", "2", "2", "1", "1", "1", "1", "0");
        var screening = await browser.GetAsync($"/participants/{id}/screening");
        var answers = EligibleAnswers.Select(a => a == "EXC-SSRI=no" ? "EXC-SSRI=yes" : a);
        var page = await ScreenAsync(browser, screening, answers);

        Assert.Contains("not eligible", page.Document.QuerySelector("[data-testid=eligibility-result]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("EXC-SSRI", page.Document.QuerySelector("[data-testid=eligibility-result]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(ParticipantStatus.ScreenFailed, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.Status).SingleAsync()));
        Assert.DoesNotContain(page.Document.Forms, f => f.QuerySelector("input[name='_handler'][value='randomize']") is not null);
        var refused = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
        Assert.False(refused.Succeeded);
    }

    [Fact]
    public async Task Screening_with_missing_or_malformed_answers_keeps_them_and_decides_nothing()
    {
        var (browser, id) = await RegisterAsync();
        using var _ = browser;
        var screening = await browser.GetAsync($"/participants/{id}/screening");
        var answers = EligibleAnswers.Where(a => !a.StartsWith("EXC-VALVE", StringComparison.Ordinal)).Select(a => a == "INC-AGE=35" ? "INC-AGE=thirty" : a);
        var page = await ScreenAsync(browser, screening, answers);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Enter a number", page.Text, StringComparison.Ordinal);
        Assert.Contains("Answer this question.", page.Text, StringComparison.Ordinal);
        Assert.Contains("Complete the DEP9 form at screening first", page.Text, StringComparison.Ordinal);
        Assert.Equal("thirty", page.Document.QuerySelector("#q-INC-AGE")!.GetAttribute("value"));
        Assert.Equal(ParticipantStatus.Registered, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.Status).SingleAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.EligibilityAssessments.CountAsync(a => a.ParticipantId == id)));
    }

    [Theory]
    [InlineData("f.d1", "7", "d1")]
    [InlineData("f.d1", "abc", "d1")]
    [InlineData("f.d1", "<script>alert(1)</script>", "d1")]
    [InlineData("f.d1", "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111", "d1")]
    public async Task A_bad_form_entry_gets_a_message_beside_the_field_keeps_what_was_typed_and_saves_nothing(string field, string value, string code)
    {
        var (browser, id) = await RegisterAsync();
        using var _ = browser;
        var page = await browser.GetAsync($"/participants/{id}/visits/SCR/forms/VITALS");
        var dep9 = await browser.GetAsync($"/participants/{id}/visits/SCR/forms/DEP9");
        var values = Enumerable.Range(2, 8).Select(i => new KeyValuePair<string, string>($"f.d{i}", "1")).Append(new(field, value)).Append(new("action", "complete"));
        var result = await browser.SubmitAsync(dep9, "crf", values);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Contains("Nothing was saved", result.Text, StringComparison.Ordinal);
        var messages = result.Document.QuerySelector($"#field-{code}-0")!.Closest("fieldset")!.ParentElement!.QuerySelectorAll(".validation-message");
        Assert.NotEmpty(messages);
        Assert.Equal("checked", result.Document.QuerySelector("#field-d2-1")!.GetAttribute("checked") is null ? "" : "checked");
        Assert.DoesNotContain("<script>alert(1)</script>", result.Html, StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.FormEntries.CountAsync(e => e.ParticipantId == id)));
    }

    [Fact]
    public async Task A_draft_may_be_partial_and_a_correction_to_a_complete_form_needs_a_reason_that_the_audit_keeps()
    {
        var (browser, id) = await RegisterAsync();
        using var _ = browser;
        var dep9 = await browser.GetAsync($"/participants/{id}/visits/SCR/forms/DEP9");
        var draft = await browser.SubmitAsync(dep9, "crf", ("f.d1", "1"), ("f.d2", "2"), ("action", "draft"));
        Assert.Equal("Draft", draft.Document.QuerySelector("[data-testid=form-status]")!.TextContent.Trim());

        var complete = await CompleteDepressionScaleAsync(browser, id, "SCR", "1", "2", "1", "2", "1", "1", "2", "1", "1");
        Assert.Equal("Complete", complete.Document.QuerySelector("[data-testid=form-status]")!.TextContent.Trim());

        var values = Enumerable.Range(1, 9).Select(i => new KeyValuePair<string, string>($"f.d{i}", i == 3 ? "3" : complete.Document.QuerySelector($"#field-d{i}-0")!.ParentElement!.ParentElement!.QuerySelector("input:checked")!.GetAttribute("value")!)).ToList();
        var noReason = await browser.SubmitAsync(complete, "crf", values.Append(new("action", "complete")));
        Assert.Contains("give the reason for the change", noReason.Text, StringComparison.Ordinal);
        Assert.Equal("1", await app.WithDbAsync(db => db.FormValues.Where(v => v.ParticipantId == id && v.FieldCode == "d3").Select(v => v.Value).SingleAsync()));

        var corrected = await browser.SubmitAsync(complete, "crf", values.Append(new("action", "complete")).Append(new("Reason", "Transcription error, checked against the source")));
        Assert.Contains("14", corrected.Document.QuerySelector("[data-testid=scores]")!.TextContent, StringComparison.Ordinal);
        var audit = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.ParticipantId == id && e.EntityType == nameof(FormValue) && e.Action == "Update").ToListAsync());
        var change = Assert.Single(audit);
        Assert.Contains("\"Old\":\"1\"", change.Changes, StringComparison.Ordinal);
        Assert.Contains("\"New\":\"3\"", change.Changes, StringComparison.Ordinal);
        Assert.Equal("Transcription error, checked against the source", change.Reason);
        Assert.Equal("Casey Coordinator", change.UserName);
    }

    [Theory]
    [InlineData("Input.YearOfBirth", "3000", "register-year")]
    [InlineData("Input.YearOfBirth", "nineteen", "register-year")]
    [InlineData("Input.Sex", "other", "")]
    [InlineData("Input.ConsentedOn", "2999-01-01", "register-consent-date")]
    [InlineData("Input.Initials", "<b>", "register-initials")]
    public async Task Registration_refuses_bad_input_keeps_what_was_typed_and_registers_nobody(string field, string value, string input)
    {
        using var browser = app.NewBrowser();
        await browser.SignInAsync("coordinator");
        var before = await app.WithDbAsync(db => db.Participants.CountAsync());
        var form = await browser.GetAsync("/participants/new");
        var fields = new Dictionary<string, string>
        {
            ["Input.YearOfBirth"] = "1990",
            ["Input.Sex"] = "female",
            ["Input.ConsentedOn"] = Today,
            ["Input.ConsentFormVersion"] = "2.0",
        };
        fields[field] = value;
        var page = await browser.SubmitAsync(form, "register-participant", fields);

        Assert.Equal("/participants/new", page.Path);
        Assert.NotEmpty(page.Document.QuerySelectorAll(".validation-message"));
        if (input.Length > 0)
        {
            Assert.Equal(value, page.ValueOf(input));
        }

        Assert.Equal(before, await app.WithDbAsync(db => db.Participants.CountAsync()));
    }

    [Fact]
    public async Task Another_sites_staff_cannot_see_or_touch_the_participant()
    {
        var (browser, id) = await RegisterAsync();
        browser.Dispose();
        using var bos = app.NewBrowser();
        await bos.SignInAsync("coordinator.bos");

        foreach (var url in new[] { $"/participants/{id}", $"/participants/{id}/screening", $"/participants/{id}/visits/SCR/forms/DEP9" })
        {
            var page = await bos.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, page.Status);
            Assert.DoesNotContain("LON-", page.Html, StringComparison.Ordinal);
        }

        var list = await bos.GetAsync("/participants");
        Assert.DoesNotContain("LON-", list.Html, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TrialManager.Web.Authorization.OperationForbiddenException>(() =>
            app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<TrialManager.Web.Features.Participants.SaveForm>().ExecuteAsync(
                new(id, "SCR", "DEP9", new Dictionary<string, string?> { ["d1"] = "1" }, false, null))));
    }
}
