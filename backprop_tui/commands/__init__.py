"""The built-in :commands, grouped by theme. Importing this package registers them all in
the registry (backprop_tui.registry); views import it, the session does not.

Registration order is the order :help lists them in, so the imports are in reading order.
"""
# isort: skip_file

from . import stepping  # :step :back :forward :backward :continue :reset :goto :break…
from . import inspect  # :show :nodes :graph :set :output
from . import check  # :check :hsweep :compare
from . import ad  # :mode :trace :hessian :hvp
from . import optimize  # :nudge :descend
from . import help  # :help
from . import export  # :export
from . import replaying  # :say :pause :expect :load
from . import record  # :record
from . import repeat  # :repeat
from . import view  # :fold :unfold

__all__ = ["ad", "check", "export", "help", "inspect", "optimize", "record", "repeat", "replaying",
           "stepping", "view"]
