namespace TrialManager.Web.Authorization;

/// <summary>Thrown by an operation whose own authorization check fails; the app answers 403 without detail.</summary>
public sealed class OperationForbiddenException(string reason) : Exception(reason);
