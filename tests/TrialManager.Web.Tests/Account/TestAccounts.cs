using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Data;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Account;

/// <summary>A throwaway account made for one test, so tests that change an account never disturb the demo users others rely on.</summary>
public sealed record TestAccount(string Id, string Email, string Password);

public static class TestAccounts
{
    private static int _counter;

    /// <summary>Creates an active account with the given roles (and sites by code) and a strong password, straight through Identity.</summary>
    public static async Task<TestAccount> CreateAccountAsync(this TrialApp app, string[] roles, params string[] siteCodes)
    {
        var number = Interlocked.Increment(ref _counter);
        var email = $"test{number}.{Guid.NewGuid().ToString("N")[..6]}@example.org";
        var password = $"violet harbour lantern {Guid.NewGuid():N}";
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = $"Test Person {number}", CreatedAt = DateTimeOffset.UtcNow };
        Check(await users.CreateAsync(user, password));
        Check(await users.AddToRolesAsync(user, roles));
        foreach (var code in siteCodes)
        {
            var siteId = await db.Sites.Where(s => s.Code == code).Select(s => s.Id).SingleAsync();
            db.SiteMemberships.Add(new SiteMembership { UserId = user.Id, SiteId = siteId });
        }

        await db.SaveChangesAsync();
        return new TestAccount(user.Id, email, password);
    }

    /// <summary>The database id of a demo account, by the local part of its e-mail.</summary>
    public static Task<string> UserIdAsync(this TrialApp app, string local) =>
        app.WithDbAsync(db => db.Users.Where(u => u.Email == app.Account(local).Email).Select(u => u.Id).SingleAsync());

    public static Task<ApplicationUser> ReloadUserAsync(this TrialApp app, string userId) =>
        app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == userId));

    public static Task<List<string>> RoleNamesAsync(this TrialApp app, string userId) =>
        app.WithDbAsync(db => db.UserRoles.Where(ur => ur.UserId == userId)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!)
            .OrderBy(n => n)
            .ToListAsync());

    /// <summary>The antiforgery token a signed-in browser holds (from the sign-out form every layout page carries).</summary>
    public static string AntiforgeryToken(this Page page) =>
        page.Document.QuerySelector("input[name='__RequestVerificationToken']")?.GetAttribute("value")
        ?? throw new InvalidOperationException($"No antiforgery token on {page.Path}");

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
