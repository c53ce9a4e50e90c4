# A matplotlib backend (MPLBACKEND=module://gradual_mpl): Agg renders, and plt.show() shows the
# open figures below the cell instead of warning that Agg cannot open a window.
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas  # noqa: F401


def show(*args, **kwargs):
    import gradual_runtime

    gradual_runtime.flush_figures()
