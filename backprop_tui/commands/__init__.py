"""The built-in :commands, grouped by theme. Importing this package registers them all in
the registry (backprop_tui.registry); views import it, the session does not.

Registration order is the order :help lists them in, so the imports are in reading order.
"""
# isort: skip_file

from . import stepping  # :step :back :forward :backward :continue :reset :goto
from . import breaks  # :break :unbreak :breaks :watch :unwatch
from . import inspect  # :show :nodes :graph :set :output
from . import check  # :check :hsweep :compare
from . import search  # :find :filter :top :sort :path
from . import ad  # :mode :trace :hessian :hvp
from . import optimize  # :nudge :descend
from . import plotting  # :plot boundary
from . import help  # :help
from . import export  # :export
from . import replaying  # :say :pause :expect :load
from . import record  # :record
from . import repeat  # :repeat
from . import view  # :fold :unfold

__all__ = ["ad", "breaks", "check", "export", "help", "inspect", "optimize", "plotting", "record",
           "repeat", "replaying", "search", "stepping", "view"]
