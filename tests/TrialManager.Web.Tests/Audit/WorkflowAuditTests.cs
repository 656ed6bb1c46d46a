using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Access;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Administration;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Audit;

/// <summary>Account and administration workflow leaves audit entries: who, what, and never a password or a code.</summary>
public class WorkflowAuditTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string SameMessage = "The e-mail or password is not right, or the account cannot sign in.";

    private Task<List<AuditEntry>> EntriesAsync(string action, string entityId) =>
        app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Where(e => e.Action == action && e.EntityId == entityId).OrderBy(e => e.ChainSeq).ToListAsync());

    private Task<List<string>> AllAuditTextAsync() =>
        app.WithDbAsync(db => db.AuditTrail.AsNoTracking().Select(e => e.Changes + " " + e.Reason + " " + e.EntityId).ToListAsync());

    [Fact]
    public async Task Sign_in_and_sign_out_are_recorded_as_the_person()
    {
        var account = await app.CreateAccountAsync([TrialRoles.SiteCoordinator], "LON");
        using var browser = app.NewBrowser();

        var home = await browser.SignInAsync(account.Email, account.Password);
        Assert.Equal("/", home.Path);
        var signIn = Assert.Single(await EntriesAsync("SignIn", account.Id));
        Assert.Equal(account.Id, signIn.UserId);
        Assert.Equal(TrialRoles.SiteCoordinator, signIn.Roles);
        Assert.Equal(nameof(TrialManager.Web.Data.ApplicationUser), signIn.EntityType);
        Assert.Contains("\"Method\":\"Password\"", signIn.Changes, StringComparison.Ordinal);

        await browser.SignOutAsync(home);
        var signOut = Assert.Single(await EntriesAsync("SignOut", account.Id));
        Assert.Equal(account.Id, signOut.UserId);
        Assert.True(signOut.ChainSeq > signIn.ChainSeq);
    }

    [Fact]
    public async Task Failed_sign_ins_are_recorded_with_the_cause_while_the_page_never_tells_it()
    {
        var account = await app.CreateAccountAsync([TrialRoles.Investigator], "LON");
        const string wrongPassword = "certainly not the password 123";
        const string unknown = "nobody.here.at.all@example.org";
        using var browser = app.NewBrowser();

        var wrong = await browser.SubmitAsync(await browser.GetAsync("/Account/Login"), "login", ("Input.Email", account.Email), ("Input.Password", wrongPassword));
        var missing = await browser.SubmitAsync(await browser.GetAsync("/Account/Login"), "login", ("Input.Email", unknown), ("Input.Password", wrongPassword));

        Assert.Contains(SameMessage, wrong.Text, StringComparison.Ordinal);
        Assert.Contains(SameMessage, missing.Text, StringComparison.Ordinal);
        var failed = Assert.Single(await EntriesAsync("SignInFailed", account.Id));
        Assert.Equal("anonymous", failed.UserId);
        Assert.Contains("\"Reason\":\"WrongPassword\"", failed.Changes, StringComparison.Ordinal);
        var unknownEntry = Assert.Single(await app.WithDbAsync(db => db.AuditTrail.Where(e => e.Action == "SignInFailed" && e.Changes.Contains(unknown)).ToListAsync()));
        Assert.Equal("", unknownEntry.EntityId);
        Assert.Contains("\"Reason\":\"UnknownUser\"", unknownEntry.Changes, StringComparison.Ordinal);
        Assert.DoesNotContain(await AllAuditTextAsync(), t => t.Contains(wrongPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lockout_is_recorded_once_and_every_administrator_is_alerted()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        using var browser = app.NewBrowser();
        for (var i = 0; i < 6; i++)
        {
            await browser.SubmitAsync(await browser.GetAsync("/Account/Login"), "login", ("Input.Email", account.Email), ("Input.Password", $"wrong password number {i}"));
        }

        var locked = Assert.Single(await EntriesAsync("LockedOut", account.Id));
        Assert.Contains("\"Step\":\"Password\"", locked.Changes, StringComparison.Ordinal);
        var failures = await EntriesAsync("SignInFailed", account.Id);
        Assert.Equal(5, failures.Count);
        Assert.Contains("\"Reason\":\"AlreadyLockedOut\"", failures[^1].Changes, StringComparison.Ordinal);

        var adminIds = await app.WithDbAsync(db => db.UserRoles.Join(db.Roles.Where(r => r.Name == TrialRoles.Administrator), ur => ur.RoleId, r => r.Id, (ur, _) => ur.UserId).ToListAsync());
        var alerts = await app.WithDbAsync(db => db.Notifications.Where(n => n.Link == $"/admin/users/{account.Id}").Select(n => n.UserId).ToListAsync());
        Assert.NotEmpty(adminIds);
        Assert.Equal(adminIds.Order(StringComparer.Ordinal), alerts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Authenticator_enrolment_and_reset_are_recorded()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DsmbMember]);
        using var browser = app.NewBrowser();
        await browser.SignInAsync(account.Email, account.Password);

        var enrol = await browser.GetAsync("/Account/Manage/EnableAuthenticator");
        var key = enrol.Document.QuerySelector("[data-testid=authenticator-key]")!.TextContent;
        var code = app.Codes.Next(key);
        var done = await browser.SubmitAsync(enrol, "enable-authenticator", ("Input.Code", code));
        Assert.Contains("Your authenticator app is set up", done.Text, StringComparison.Ordinal);
        var enabled = Assert.Single(await EntriesAsync("TwoFactorEnabled", account.Id));
        Assert.Equal(account.Id, enabled.UserId);

        var reset = await browser.GetAsync("/Account/Manage/ResetAuthenticator");
        await browser.SubmitAsync(reset, "reset-authenticator", []);
        Assert.Single(await EntriesAsync("TwoFactorReset", account.Id));
        Assert.DoesNotContain(await AllAuditTextAsync(), t => t.Contains(code, StringComparison.Ordinal) || t.Contains(key.Replace(" ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task User_administration_is_recorded_as_the_administrator_without_any_password()
    {
        var adminId = await app.UserIdAsync("admin");
        var lon = (await app.SiteIdAsync("LON")).ToString();
        var bos = (await app.SiteIdAsync("BOS")).ToString();
        var email = $"audited.{Guid.NewGuid():N}@example.org";

        var (userId, passwords) = await app.AsUserAsync("admin", async services =>
        {
            var created = await services.GetRequiredService<CreateUser>().ExecuteAsync(new CreateUserInput { Email = email, DisplayName = "Audited Person", Roles = [TrialRoles.SiteCoordinator], SiteIds = [lon] });
            Assert.True(created.Succeeded);
            var id = created.Value!.UserId;
            Assert.True((await services.GetRequiredService<UpdateUserAccess>().ExecuteAsync(id, new UserAccessInput { Roles = [TrialRoles.Investigator], SiteIds = [bos] })).Succeeded);
            return (id, new List<string> { created.Value.OneTimePassword });
        });
        foreach (var disabled in new[] { true, false })
        {
            var changed = await app.AsUserAsync("admin", services => services.GetRequiredService<SetUserDisabled>().ExecuteAsync(userId, disabled));
            Assert.True(changed.Succeeded);
        }

        passwords.Add(await app.AsUserAsync("admin", async services => (await services.GetRequiredService<IssueOneTimePassword>().ExecuteAsync(userId)).Value!));

        var created = Assert.Single(await EntriesAsync("CreateUser", userId));
        Assert.Contains(email, created.Changes, StringComparison.Ordinal);
        var access = Assert.Single(await EntriesAsync("ChangeUserAccess", userId));
        Assert.Contains("\"Old\":[\"SiteCoordinator\"],\"New\":[\"Investigator\"]", access.Changes, StringComparison.Ordinal);
        Assert.Contains(bos, access.Changes, StringComparison.Ordinal);
        Assert.Single(await EntriesAsync("DisableUser", userId));
        Assert.Single(await EntriesAsync("EnableUser", userId));
        Assert.Single(await EntriesAsync("IssueOneTimePassword", userId));
        foreach (var action in new[] { "CreateUser", "ChangeUserAccess", "DisableUser", "EnableUser", "IssueOneTimePassword" })
        {
            var entry = (await EntriesAsync(action, userId))[0];
            Assert.Equal(adminId, entry.UserId);
            Assert.Contains(TrialRoles.Administrator, entry.Roles, StringComparison.Ordinal);
            Assert.Null(entry.SiteId);
        }

        var text = await AllAuditTextAsync();
        foreach (var password in passwords)
        {
            Assert.DoesNotContain(text, t => t.Contains(password, StringComparison.Ordinal));
        }
    }
}
