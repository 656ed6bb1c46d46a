using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Participants;

public class QueryTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task The_data_manager_raises_a_query_the_site_answers_it_and_the_data_manager_closes_it()
    {
        using var site = app.NewBrowser();
        await site.SignInAsync("coordinator");
        var registered = await site.SubmitAsync(await site.GetAsync("/participants/new"), "register-participant",
            ("Input.YearOfBirth", "1985"), ("Input.Sex", "male"), ("Input.ConsentedOn", DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("Input.ConsentFormVersion", "2.0"));
        var id = Guid.Parse(registered.Path["/participants/".Length..]);
        var formUrl = $"/participants/{id}/visits/SCR/forms/DEP9";
        var draft = await site.SubmitAsync(await site.GetAsync(formUrl), "crf", ("f.d1", "3"), ("f.d2", "0"), ("action", "draft"));
        var worklist = await site.GetAsync("/worklist");
        Assert.Contains("DEP9", worklist.Document.QuerySelector("[data-testid=draft-forms]")!.TextContent, StringComparison.Ordinal);

        using var manager = app.NewBrowser();
        await manager.SignInAsync("datamanager");
        var readOnly = await manager.GetAsync(formUrl);
        Assert.Empty(readOnly.Document.QuerySelectorAll("form input[name='_handler'][value='crf'] ~ button[value='complete']"));
        Assert.True(readOnly.Document.QuerySelector("#field-d1-3")!.HasAttribute("disabled"));
        var raised = await manager.SubmitAsync(readOnly, "raise-query", ("Field", "d1"), ("Question", "Almost daily? The source note says some days."));
        Assert.Contains("Open", raised.Document.QuerySelector("[data-testid=query]")!.TextContent, StringComparison.Ordinal);
        var empty = await manager.SubmitAsync(raised, "raise-query", ("Field", "d1"), ("Question", ""));
        Assert.Contains("Write the question", empty.Text, StringComparison.Ordinal);

        var siteWorklist = await site.GetAsync("/worklist");
        Assert.Contains("source note", siteWorklist.Document.QuerySelector("[data-testid=open-queries]")!.TextContent, StringComparison.Ordinal);
        var query = await app.WithDbAsync(db => db.DataQueries.SingleAsync(q => q.ParticipantId == id));

        using (var other = app.NewBrowser())
        {
            await other.SignInAsync("coordinator.bos");
            await Assert.ThrowsAsync<TrialManager.Web.Authorization.OperationForbiddenException>(() =>
                app.AsUserAsync("coordinator.bos", s => s.GetRequiredService<DataQueryWorkflow>().AnswerAsync(query.Id, "forged")));
        }

        var formPage = await site.GetAsync(formUrl);
        var answered = await site.SubmitAsync(formPage, $"answer-{query.Id:N}", ("Answer", "Checked with the participant: almost daily is right."));
        Assert.Contains("Answered", answered.Document.QuerySelector("[data-testid=query]")!.TextContent, StringComparison.Ordinal);

        var review = await manager.GetAsync(formUrl);
        var closed = await manager.SubmitAsync(review, $"resolve-{query.Id:N}", ("close", "yes"));
        Assert.Contains("Closed", closed.Document.QuerySelector("[data-testid=query]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(QueryStatus.Closed, await app.WithDbAsync(db => db.DataQueries.Where(q => q.Id == query.Id).Select(q => q.Status).SingleAsync()));
        var trail = await app.WithDbAsync(db => db.AuditTrail.Where(e => e.EntityType == nameof(DataQuery) && e.EntityId == query.Id.ToString()).OrderBy(e => e.ChainSeq).Select(e => e.UserName).ToListAsync());
        Assert.Equal(["Drew Data", "Casey Coordinator", "Drew Data"], trail);
        Assert.Equal("Draft", draft.Document.QuerySelector("[data-testid=form-status]")!.TextContent.Trim());
    }
}
