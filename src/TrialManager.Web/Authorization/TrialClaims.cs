namespace TrialManager.Web.Authorization;

public static class TrialClaims
{
    public const string DisplayName = "tm:display_name";

    /// <summary>Present while the user must replace a one-time password before doing anything else.</summary>
    public const string MustChangePassword = "tm:must_change_password";

    /// <summary>Authentication method reference; Identity sets "mfa" after a second factor.</summary>
    public const string AuthenticationMethod = "amr";

    public const string MultiFactor = "mfa";
}
