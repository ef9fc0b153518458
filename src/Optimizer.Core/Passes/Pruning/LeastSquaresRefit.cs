using MathNet.Numerics.LinearAlgebra;

namespace Optimizer.Core.Passes.Pruning;

/// <summary>
/// The closed-form, regularised least-squares fit behind output reconstruction: the weights W minimising
/// ||X W - Y||² + λ ||W - W0||², i.e. (XᵀX + λI) W = XᵀY + λ W0, solved by Cholesky. Shrinking towards the current
/// weights W0 (rather than towards zero) keeps the layer where the data does not pin it down.
/// </summary>
internal static class LeastSquaresRefit
{
    /// <summary>Relative strength of the regulariser: λ = this x the mean diagonal of XᵀX.</summary>
    public const double RelativeLambda = 1e-3;

    /// <summary>Solves for W (features x outputs) given rows of <paramref name="x"/> and <paramref name="y"/> and the prior <paramref name="w0"/>.</summary>
    public static Matrix<double> Solve(Matrix<double> x, Matrix<double> y, Matrix<double> w0)
    {
        var gram = x.TransposeThisAndMultiply(x);
        var lambda = RelativeLambda * Math.Max(gram.Diagonal().Average(), 1e-12);
        var rhs = x.TransposeThisAndMultiply(y) + (w0 * lambda);
        for (var i = 0; i < gram.RowCount; i++)
        {
            gram[i, i] += lambda;
        }

        return gram.Cholesky().Solve(rhs);
    }
}
