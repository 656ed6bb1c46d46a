using System.Net;
using TrialManager.Domain.Access;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Account;

/// <summary>The password policy (ASVS 5: length over composition, common passwords refused) as a person meets it on the change-password page.</summary>
public class PasswordChangeTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string PagePath = "/Account/Manage/ChangePassword";

    public static TheoryData<string, string, string, string, string> Refused => new()
    {
        // current, new, confirm, field, message
        { "", "password1234", "password1234", "new-password", "attackers try first" },
        { "", "Password1234", "Password1234", "new-password", "attackers try first" },
        { "", "too short", "too short", "new-password", $"at least {PasswordPolicy.MinimumLength} characters" },
        { "", "abcabcabcabcabc", "abcabcabcabcabc", "new-password", "repeated" },
        { "", "a perfectly long new phrase", "a perfectly long new phrase but different", "confirm-password", "not the same" },
        { "", "", "", "new-password", "Enter a new password" },
        { "wrong current password", "a perfectly long new phrase", "a perfectly long new phrase", "old-password", "current password is not right" },
        { "", new string('x', 200) + "yz", new string('x', 200) + "yz", "new-password", $"at most {PasswordPolicy.MaximumLength}" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refused_new_password_gets_a_message_beside_the_right_field_and_changes_nothing(string current, string newPassword, string confirm, string field, string message)
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        using var browser = app.NewBrowser();
        await browser.SignInAsync(account.Email, account.Password);
        var form = await browser.GetAsync(PagePath);
        var hashBefore = (await app.ReloadUserAsync(account.Id)).PasswordHash;

        var page = await browser.SubmitAsync(form, "change-password",
            ("Input.CurrentPassword", current.Length == 0 ? account.Password : current),
            ("Input.NewPassword", newPassword),
            ("Input.ConfirmPassword", confirm));

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(PagePath, page.Path);
        var messages = page.MessagesFor(field);
        Assert.True(messages.Any(m => m.Contains(message, StringComparison.OrdinalIgnoreCase)), $"Beside #{field}: [{string.Join(" | ", messages)}]; expected '{message}'.");
        Assert.Equal(hashBefore, (await app.ReloadUserAsync(account.Id)).PasswordHash);
    }

    [Fact]
    public async Task A_password_with_the_persons_own_e_mail_name_is_refused()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        var local = account.Email.Split('@')[0];
        using var browser = app.NewBrowser();
        await browser.SignInAsync(account.Email, account.Password);
        var form = await browser.GetAsync(PagePath);

        var page = await browser.SubmitAsync(form, "change-password",
            ("Input.CurrentPassword", account.Password), ("Input.NewPassword", $"my {local} is great"), ("Input.ConfirmPassword", $"my {local} is great"));

        Assert.Contains(page.MessagesFor("new-password"), m => m.Contains("user name or e-mail", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_good_new_password_works_keeps_the_session_and_the_old_one_stops_working()
    {
        var account = await app.CreateAccountAsync([TrialRoles.Investigator], "LON");
        const string newPassword = "quiet river under seven bridges";
        using var browser = app.NewBrowser();
        await browser.SignInAsync(account.Email, account.Password);
        var form = await browser.GetAsync(PagePath);

        var done = await browser.SubmitAsync(form, "change-password",
            ("Input.CurrentPassword", account.Password), ("Input.NewPassword", newPassword), ("Input.ConfirmPassword", newPassword));

        Assert.Equal("/Account/Manage", done.Path);
        Assert.Contains("Your password was changed.", done.Text, StringComparison.Ordinal);
        // The change renewed the security stamp; this session was re-issued, so it carries on.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/sites", follow: false)).Status);
        await browser.SignOutAsync(await browser.GetAsync("/"));

        using var withOld = app.NewBrowser();
        var refused = await withOld.SignInAsync(account.Email, account.Password);
        Assert.Equal("/Account/Login", refused.Path);
        Assert.Contains("not right", refused.Text, StringComparison.Ordinal);

        using var withNew = app.NewBrowser();
        Assert.Equal("/", (await withNew.SignInAsync(account.Email, newPassword)).Path);
    }

    [Fact]
    public async Task Another_session_of_the_same_person_ends_when_the_password_changes()
    {
        var account = await app.CreateAccountAsync([TrialRoles.DataManager]);
        const string newPassword = "amber meadow before the storm";
        using var elsewhere = app.NewBrowser();
        await elsewhere.SignInAsync(account.Email, account.Password);
        using var browser = app.NewBrowser();
        await browser.SignInAsync(account.Email, account.Password);

        var form = await browser.GetAsync(PagePath);
        await browser.SubmitAsync(form, "change-password",
            ("Input.CurrentPassword", account.Password), ("Input.NewPassword", newPassword), ("Input.ConfirmPassword", newPassword));

        Assert.Equal("/Account/Login", (await elsewhere.GetAsync("/sites")).Path);
    }
}
